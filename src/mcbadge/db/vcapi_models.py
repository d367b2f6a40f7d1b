"""Tables of the W3C VC API (``mcbadge.vcapi``): credentials issued over ``POST /credentials/issue``.

    Issuer ── IssuedCredential (one row per issued credential; no submission behind it)
                └── IssuedStatusEntry (its bit for one purpose) ──> StatusEntry ──> StatusList

The lists and the reserved bits are the same tables as the awards' (``mcbadge.db.models.StatusList``, with a
``key``, served at ``/status-lists/{key}``, and ``StatusEntry``): one unique constraint on (list, index)
keeps one credential per bit for both. What is the VC API's own is how a caller names a credential's
status (its ``credential_id`` and purpose) and that a revocation is permanent.

Same ``Base`` as ``mcbadge.db.models``: one metadata, one set of migrations.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .models import Base, ExactJson, StatusEntry, StatusPurpose, _enum, utcnow

__all__ = ["IssuedCredential", "IssuedStatusEntry"]


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


class IssuedStatusEntry(Base):
    """The bit reserved for one issued credential for one purpose. A credential id has at most one per
    purpose at an issuer, so ``POST /credentials/status`` always finds exactly one bit to change."""

    __tablename__ = "issued_status_entries"
    __table_args__ = (UniqueConstraint("issuer_id", "credential_id", "purpose"),)

    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("status_entries.id", ondelete="CASCADE"),
                                                primary_key=True)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"))
    issued_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("issued_credentials.id", ondelete="CASCADE"), index=True)
    credential_id: Mapped[str] = mapped_column(String(512))
    purpose: Mapped[StatusPurpose] = mapped_column(_enum(StatusPurpose))
    revoked_at: Mapped[datetime | None] = mapped_column()
    """Set once the revocation bit is set: revocation is permanent."""

    entry: Mapped[StatusEntry] = relationship(lazy="joined", innerjoin=True)
