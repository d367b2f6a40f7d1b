"""Tables of the OAuth 2.0 authorization server and of the 1EdTech Open Badges 3.0 API.

    OAuthClient ── OAuthAuthorizationCode (short-lived, one use, PKCE challenge)
      └── OAuthToken (access + refresh pair; a refresh rotates into a new pair of the same family)
    UpsertedCredential (a credential an earner stored through upsertCredential, keyed by (educator, id))
    PersonProfile (the OB Profile members an earner set with putProfile beyond name and e-mail)

Secrets never reach the database in clear: client secrets, authorization codes, access and refresh tokens
are stored as SHA-256 hex digests. They are 256 random bits each, not passwords a person chose, so a plain
hash is enough (nothing to brute-force) and lets a token be found by its digest (see ``api.auth``).

Registered on the same ``Base`` as :mod:`mcbadge.db.models`, so the same Alembic migrations create them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, ExactJson, utcnow

__all__ = ["OAuthAuthorizationCode", "OAuthClient", "OAuthToken", "PersonProfile", "UpsertedCredential"]


class OAuthClient(Base):
    """A client of the authorization server.

    Dynamically registered clients (RFC 7591) are service-wide: any person may authorize them, and their
    tokens act for that person. A client-credentials client is made by an issuer admin and is bound to one
    issuer and one person (``issuer_id``/``person_id``): its tokens act for that person, within its scopes.
    """

    __tablename__ = "oauth_clients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 (hex) of the client secret; None for a public client (``token_endpoint_auth_method`` none)."""
    client_name: Mapped[str] = mapped_column(String(200))
    redirect_uris: Mapped[list[Any]] = mapped_column(default=list)
    grant_types: Mapped[list[Any]] = mapped_column(default=list)
    response_types: Mapped[list[Any]] = mapped_column(default=list)
    scope: Mapped[str] = mapped_column(Text)
    token_endpoint_auth_method: Mapped[str] = mapped_column(String(32))
    client_metadata: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The other registered metadata (client_uri, logo_uri, tos_uri, policy_uri, software_id, ...)."""
    issuer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()


class OAuthAuthorizationCode(Base):
    """An authorization code: bound to its client, redirect URI, person, scope and PKCE challenge."""

    __tablename__ = "oauth_authorization_codes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    redirect_uri: Mapped[str | None] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class OAuthToken(Base):
    """An access token and (for the authorization-code grant) its refresh token.

    A refresh makes a new row in the same ``family_id`` and revokes the old refresh token; presenting a
    revoked refresh token again revokes the whole family (the token was stolen, or the client is broken).
    """

    __tablename__ = "oauth_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    client_pk: Mapped[uuid.UUID] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    grant_type: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(Text)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    refresh_expires_at: Mapped[datetime | None] = mapped_column()
    access_revoked_at: Mapped[datetime | None] = mapped_column()
    refresh_revoked_at: Mapped[datetime | None] = mapped_column()


class UpsertedCredential(Base):
    """A credential an earner stored with upsertCredential, verified before it was stored.

    Keyed by (educator, the credential's ``id``): upserting the same id again replaces it.
    """

    __tablename__ = "upserted_credentials"
    __table_args__ = (
        UniqueConstraint("educator_id", "credential_id"),
        Index("ix_upserted_credentials_educator_issued", "educator_id", "issued_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    educator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    credential_id: Mapped[str] = mapped_column(String(1000))
    format: Mapped[str] = mapped_column(String(16))  # json | jwt
    document: Mapped[dict[str, Any] | None] = mapped_column(ExactJson)
    """The credential as sent (JSON with its proof); for a VC-JWT, the credential read from the token."""
    jwt: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column()
    """validFrom (or issuanceDate) of the credential: what getCredentials' ``since`` compares."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PersonProfile(Base):
    """The OB Profile members a person set through putProfile, beyond ``name`` and ``email`` (kept on Person)."""

    __tablename__ = "person_profiles"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    extra: Mapped[dict[str, Any]] = mapped_column(ExactJson, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
