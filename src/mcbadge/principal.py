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

from .db.models import ApiKey, Issuer, Role
from .errors import Unauthenticated

__all__ = ["KEY_PREFIX", "Principal", "authenticate", "issue_api_key"]

KEY_PREFIX = "mcb_"


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


def issue_api_key(session: Session, *, issuer_id: uuid.UUID, person_id: uuid.UUID, name: str | None = None) -> str:
    """Create an API key for a person and return it; it is shown once and cannot be recovered later."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    session.add(ApiKey(issuer_id=issuer_id, person_id=person_id, prefix=prefix, secret_hash=_hash(secret), name=name))
    return f"{KEY_PREFIX}{prefix}_{secret}"


def authenticate(session: Session, token: str | None) -> Principal:
    """The principal behind ``token``; raises Unauthenticated for a missing, unknown or revoked key."""
    if not token or not token.startswith(KEY_PREFIX) or token.count("_") < 2:
        raise Unauthenticated("an API key is required: send 'Authorization: Bearer mcb_…'")
    prefix, _, secret = token[len(KEY_PREFIX):].partition("_")
    row = session.execute(
        select(ApiKey, Issuer.slug).join(Issuer, Issuer.id == ApiKey.issuer_id).where(ApiKey.prefix == prefix)
    ).first()
    # Compare in constant time, and give the same answer for unknown and wrong keys.
    if row is None or not hmac.compare_digest(row.ApiKey.secret_hash, _hash(secret)) or row.ApiKey.revoked_at:
        raise Unauthenticated("the API key is not valid")
    key = row.ApiKey
    return Principal(key.person_id, key.issuer_id, row.slug, key.person.role, key.id)
