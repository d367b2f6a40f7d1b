"""The table of pushing credentials to other hosts' 1EdTech OB 3.0 APIs (``mcbadge.obpush``).

    Issuer ── ObConnection (an educator's account at another host that this issuer may write to: the OAuth
              client this service registered there, and the tokens the educator granted it)

The client secret and the access and refresh tokens are kept sealed (``obpush.service``: AES-GCM under a key
derived from the keystore's passphrase): this service presents them to the other host, so it needs them back,
not a digest (unlike the tokens it issues itself, which are stored hashed). The PKCE verifier and state live
only until the educator comes back from the other host's consent page.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, utcnow

__all__ = ["ObConnection"]


class ObConnection(Base):
    """An educator's connection to their account at another host's OB 3.0 API (``credential.upsert``)."""

    __tablename__ = "ob_connections"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("issuers.id", ondelete="CASCADE"), index=True)
    educator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    host: Mapped[str] = mapped_column(String(500))
    """The other host's base URL, as the educator named it."""
    api_url: Mapped[str] = mapped_column(String(500))
    """Its OB 3.0 API base (``servers[0].url`` of its discovery document)."""
    token_url: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str | None] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # pending | connected | denied
    state_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    code_verifier: Mapped[str | None] = mapped_column(String(128))
    access_token: Mapped[str | None] = mapped_column(Text)
    refresh_token: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    connected_at: Mapped[datetime | None] = mapped_column()
