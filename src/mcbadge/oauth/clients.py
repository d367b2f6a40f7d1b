"""Client-credentials clients for server-to-server integrations, made by an issuer admin.

``POST /api/v1/oauth-clients`` (admins) makes a confidential client bound to the admin's issuer and to one
of its people, an integrator or an admin: the client's tokens act as that person (their role), and only
within the scopes given here. The secret is in the response only and is stored hashed. Deleting a client
revokes it and every token it holds.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..db.models import Person, Role
from ..db.oauth_models import OAuthClient, OAuthToken
from ..db.session import transaction
from ..errors import Invalid, NotFound
from ..features import audit
from ..principal import Principal
from .scopes import ADMIN_CLIENT_SCOPES
from .server import digest, new_secret, utcnow

__all__ = ["ClientCreate", "ClientIssued", "ClientRead", "UnknownClient", "create", "delete", "list_clients"]

BOUND_ROLES = (Role.INTEGRATOR, Role.ADMIN)


class UnknownClient(NotFound):
    """No such OAuth client for this issuer."""

    code = "unknown-oauth-client"


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_name: Annotated[str, Field(min_length=1, max_length=200)]
    person_id: uuid.UUID
    """The person (an integrator or an admin of the caller's issuer) the client's tokens act as."""
    scope: Annotated[list[str], Field(min_length=1, max_length=len(ADMIN_CLIENT_SCOPES))]

    @field_validator("scope")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [s for s in value if s not in ADMIN_CLIENT_SCOPES]
        if unknown:
            raise ValueError(f"unknown scopes: {', '.join(unknown)}; known: {', '.join(ADMIN_CLIENT_SCOPES)}")
        return list(dict.fromkeys(value))


class ClientRead(BaseModel):
    client_id: str
    client_name: str
    person_id: uuid.UUID | None
    scope: str
    grant_types: list[str]
    token_endpoint_auth_method: str
    created_at: datetime


class ClientIssued(ClientRead):
    client_secret: str
    """Shown once: only its hash is kept."""


def _read(row: OAuthClient) -> ClientRead:
    return ClientRead(client_id=row.client_id, client_name=row.client_name, person_id=row.person_id, scope=row.scope,
                      grant_types=list(row.grant_types), token_endpoint_auth_method=row.token_endpoint_auth_method,
                      created_at=row.created_at)


def create(session: Session, admin: Principal, body: ClientCreate) -> ClientIssued:
    """A confidential client-credentials client for ``body.person_id`` of the admin's issuer."""
    with transaction(session):
        person = session.get(Person, body.person_id)
        if person is None or person.issuer_id != admin.issuer_id:
            raise Invalid("person_id is not a person of your issuer")
        if person.role not in BOUND_ROLES:
            raise Invalid(f"a client-credentials client acts as an integrator or an admin, not an {person.role.value}")
        secret = new_secret()
        row = OAuthClient(client_id=new_secret()[:32], secret_hash=digest(secret), client_name=body.client_name,
                          redirect_uris=[], grant_types=["client_credentials"], response_types=[],
                          scope=" ".join(body.scope), token_endpoint_auth_method="client_secret_basic",
                          issuer_id=admin.issuer_id, person_id=person.id, created_by=admin.person_id)
        session.add(row)
        session.flush()
        audit(session, issuer_id=admin.issuer_id, actor_id=admin.person_id, action="oauth_client.create",
              target=row.client_id, person_id=str(person.id), scope=row.scope)
        return ClientIssued(**_read(row).model_dump(), client_secret=secret)


def list_clients(session: Session, admin: Principal) -> list[ClientRead]:
    """The issuer's client-credentials clients that are not deleted."""
    with transaction(session):
        rows = session.scalars(select(OAuthClient).where(OAuthClient.issuer_id == admin.issuer_id,
                                                         OAuthClient.revoked_at.is_(None))
                               .order_by(OAuthClient.created_at)).all()
        return [_read(row) for row in rows]


def delete(session: Session, admin: Principal, client_id: str) -> None:
    """Revoke a client and every token it was given."""
    with transaction(session):
        row = session.scalars(select(OAuthClient).where(OAuthClient.client_id == client_id,
                                                        OAuthClient.issuer_id == admin.issuer_id,
                                                        OAuthClient.revoked_at.is_(None))).first()
        if row is None:
            raise UnknownClient(f"no OAuth client {client_id!r} at your issuer")
        now = utcnow()
        row.revoked_at = now
        session.execute(update(OAuthToken).where(OAuthToken.client_pk == row.id, OAuthToken.access_revoked_at.is_(None))
                        .values(access_revoked_at=now))
        session.execute(update(OAuthToken).where(OAuthToken.client_pk == row.id, OAuthToken.refresh_revoked_at.is_(None))
                        .values(refresh_revoked_at=now))
        audit(session, issuer_id=admin.issuer_id, actor_id=admin.person_id, action="oauth_client.delete",
              target=row.client_id)
