"""Who is calling: the authenticated principal, and the API keys that identify one.

A key reads ``mcb_<prefix>_<secret>`` and is sent as ``Authorization: Bearer <key>`` (or ``X-API-Key``).
The database keeps the prefix (to find the row) and SHA-256 of the secret. A plain hash is enough
here because the secret is 256 random bits, not a password a person chose: nothing to brute-force,
so a slow password hash would only slow every request down.

Nothing here knows HTTP: ``api/auth.py`` reads the key from the request and calls :func:`authenticate`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db.models import ApiKey, Issuer, OperatorKey, Role
from .errors import Forbidden, Unauthenticated

__all__ = ["KEY_PREFIX", "OPERATOR_KEY_PREFIX", "Operator", "Principal", "TenantDisabled", "authenticate",
           "authenticate_operator", "issue_api_key", "issue_operator_key"]

KEY_PREFIX = "mcb_"
OPERATOR_KEY_PREFIX = "mcbop_"
"""Operator keys look different from tenants' keys, so neither is ever mistaken for the other."""


class TenantDisabled(Forbidden):
    """The platform operator disabled this organisation: its keys and tokens are refused (what it issued
    keeps verifying)."""

    code = "tenant-disabled"


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: a person of one issuer, with one role."""

    person_id: uuid.UUID
    issuer_id: uuid.UUID
    issuer_slug: str
    role: Role
    api_key_id: uuid.UUID


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _new_secret() -> tuple[str, str]:
    return secrets.token_hex(6), secrets.token_urlsafe(32)


def _split(token: str | None, prefix: str) -> tuple[str, str] | None:
    if not token or not token.startswith(prefix) or token.count("_") < 2:
        return None
    key_prefix, _, secret = token[len(prefix):].partition("_")
    return key_prefix, secret


def issue_api_key(session: Session, *, issuer_id: uuid.UUID, person_id: uuid.UUID, name: str | None = None) -> str:
    """Create an API key for a person and return it; it is shown once and cannot be recovered later."""
    prefix, secret = _new_secret()
    session.add(ApiKey(issuer_id=issuer_id, person_id=person_id, prefix=prefix, secret_hash=_hash(secret), name=name))
    return f"{KEY_PREFIX}{prefix}_{secret}"


@dataclass(frozen=True)
class Operator:
    """The authenticated platform operator (runs the service for many organisations)."""

    key_id: uuid.UUID
    name: str


def issue_operator_key(session: Session, name: str) -> str:
    """Create a platform operator's key and return it (shown once)."""
    prefix, secret = _new_secret()
    session.add(OperatorKey(prefix=prefix, secret_hash=_hash(secret), name=name))
    return f"{OPERATOR_KEY_PREFIX}{prefix}_{secret}"


def authenticate_operator(session: Session, token: str | None) -> Operator:
    """The operator behind ``token``; Unauthenticated for anything else (a tenant's key included)."""
    parts = _split(token, OPERATOR_KEY_PREFIX)
    if parts is None:
        raise Unauthenticated("an operator key is required: send 'Authorization: Bearer mcbop_…'")
    row = session.scalars(select(OperatorKey).where(OperatorKey.prefix == parts[0])).first()
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(parts[1])) or row.revoked_at:
        raise Unauthenticated("the operator key is not valid")
    return Operator(row.id, row.name)


def authenticate(session: Session, token: str | None) -> Principal:
    """The principal behind ``token``; raises Unauthenticated for a missing, unknown or revoked key, and
    TenantDisabled when the operator disabled its organisation."""
    parts = _split(token, KEY_PREFIX)
    if parts is None:
        raise Unauthenticated("an API key is required: send 'Authorization: Bearer mcb_…'")
    prefix, secret = parts
    row = session.execute(
        select(ApiKey, Issuer.slug, Issuer.disabled_at).join(Issuer, Issuer.id == ApiKey.issuer_id)
        .where(ApiKey.prefix == prefix)
    ).first()
    # Compare in constant time, and give the same answer for unknown and wrong keys.
    if row is None or not hmac.compare_digest(row.ApiKey.secret_hash, _hash(secret)) or row.ApiKey.revoked_at:
        raise Unauthenticated("the API key is not valid")
    if row.disabled_at is not None:
        raise TenantDisabled(f"the organisation {row.slug} is disabled by the platform operator")
    key = row.ApiKey
    return Principal(key.person_id, key.issuer_id, row.slug, key.person.role, key.id)
