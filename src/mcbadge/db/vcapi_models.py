"""Tables of the W3C VC API (``mcbadge.vcapi``): credentials issued over ``POST /credentials/issue``.

    Issuer ── VcApiStatusList (its own Bitstring Status Lists, served at /status-lists/{key})
      └── IssuedCredential (one row per issued credential; no submission behind it)
            └── VcApiStatusEntry (index in a list, unique per list; one per purpose per credential id)

Why separate status lists: the award flow (``mcbadge.status.service.allocate``) checks an index is free
only against ``credentials``; an index reserved here in one of those lists would be invisible to it, and two
credentials could end up sharing a bit. Lists of their own keep the guarantee — one credential per bit — on
the database's unique constraints, as the award flow does for its lists.

Same ``Base`` as ``mcbadge.db.models``: one metadata, one set of migrations.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, ExactJson, StatusPurpose, _enum, utcnow

__all__ = ["IssuedCredential", "VcApiStatusEntry", "VcApiStatusList"]


class VcApiStatusList(Base):
    """A Bitstring Status List of an issuer for one purpose, made by ``POST /status-lists`` or opened when
    a credential asks for a status entry and the issuer has no list with room left."""

    __tablename__ = "vcapi_status_lists"
    __table_args__ = (Index("ix_vcapi_status_lists_issuer_purpose", "issuer_id", "purpose"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    """The last path segment of its URL, ``/status-lists/{key}``."""
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    purpose: Mapped[StatusPurpose] = mapped_column(_enum(StatusPurpose))
    length: Mapped[int] = mapped_column(Integer)
    allocated: Mapped[int] = mapped_column(Integer, default=0)
    bits: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped on every bit change; the signed credential is re-made only when it is behind."""
    signed: Mapped[dict[str, Any] | None] = mapped_column(ExactJson, deferred=True)
    signed_revision: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class IssuedCredential(Base):
    """A credential issued through the VC API. The row (and its status entries) is written before the
    signature is made, in the same transaction; ``document``/``jwt`` are filled in once it is signed."""

    __tablename__ = "issued_credentials"
    __table_args__ = (Index("ix_issued_credentials_issuer_credential", "issuer_id", "credential_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    credential_id: Mapped[str | None] = mapped_column(String(512))
    """``credential.id``, or ``options.credentialId``: how ``POST /credentials/status`` names it."""
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    format: Mapped[str] = mapped_column(String(16), default="ldp")  # ldp (Data Integrity) | jwt
    document: Mapped[dict[str, Any] | None] = mapped_column(ExactJson)
    """The credential as issued (with its proof; for a VC-JWT, the unsigned credential)."""
    jwt: Mapped[str | None] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class VcApiStatusEntry(Base):
    """One bit of one list, reserved for one credential. A credential id has at most one entry per purpose
    at an issuer, so ``POST /credentials/status`` always finds exactly one bit to change."""

    __tablename__ = "vcapi_status_entries"
    __table_args__ = (
        UniqueConstraint("status_list_id", "status_index"),
        UniqueConstraint("issuer_id", "credential_id", "purpose"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    issued_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issued_credentials.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(512))
    purpose: Mapped[StatusPurpose] = mapped_column(_enum(StatusPurpose))
    status_list_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vcapi_status_lists.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    revoked_at: Mapped[datetime | None] = mapped_column()
    """Set once the revocation bit is set: revocation is permanent."""
