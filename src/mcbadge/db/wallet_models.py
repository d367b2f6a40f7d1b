"""Tables of wallet delivery by OpenID for Verifiable Credential Issuance (``mcbadge.wallet``).

    Credential ── WalletOffer (an offer the earner made for one credential: pre-authorized code, transaction
                  code, issuer state, expiry; redeemed once for an access token, by the pre-authorized code or
                  by the code the earner's approval of a wallet's authorization request gave; the access token
                  delivers the credential to a wallet)
    WalletNonce (a ``c_nonce`` handed out by the nonce endpoint; one use, short-lived)

Secrets are kept as SHA-256 hex digests, never in clear: the pre-authorized code, the issuer state, the
authorization code and the access token (256 random bits each), the transaction code (a digest salted with the
offer's code: six digits alone would be a lookup table), the nonce. Same ``Base`` as ``mcbadge.db.models``: one metadata, one set of migrations.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from .models import Base, utcnow

__all__ = ["WalletNonce", "WalletOffer"]


class WalletOffer(Base):
    """One credential offer (OID4VCI pre-authorized code flow) for one credential, made by its earner.

    Single use: the pre-authorized code is exchanged for an access token once (``redeemed_at``), and a wrong
    transaction code counts towards ``MAX_TX_CODE_ATTEMPTS``, after which the offer is spent. The access token
    delivers the credential (bound to the holder's key) until ``access_expires_at``."""

    __tablename__ = "wallet_offers"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    credential_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("credentials.id", ondelete="CASCADE"), index=True)
    educator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """SHA-256 (hex) of the pre-authorized code."""
    tx_code_hash: Mapped[str] = mapped_column(String(64))
    """SHA-256 (hex) of the pre-authorized code and the transaction code together."""
    tx_code_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    redeemed_at: Mapped[datetime | None] = mapped_column()
    """When the code was exchanged for an access token (or spent by too many wrong transaction codes)."""
    access_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    access_expires_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    """When a wallet last received the credential with this offer's access token."""
    holder: Mapped[str | None] = mapped_column(String(300))
    """The holder's DID (the ``did:key`` of the key its proof was signed with) the credential was bound to."""
    # The authorization code flow (the offer's other grant): the earner approves one wallet's request for it.
    issuer_state_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    """SHA-256 (hex) of the offer's ``issuer_state`` (None for an offer made before the flow existed)."""
    authorization_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    """SHA-256 (hex) of the authorization code the earner's approval gave the wallet."""
    code_challenge: Mapped[str | None] = mapped_column(String(128))
    """The wallet's PKCE challenge (S256): only the wallet that asked can redeem the code."""
    client_id: Mapped[str | None] = mapped_column(String(300))
    redirect_uri: Mapped[str | None] = mapped_column(String(2000))
    authorization_code_expires_at: Mapped[datetime | None] = mapped_column()
    credential_identifiers: Mapped[list[Any] | None] = mapped_column()
    """The credential configurations the wallet's ``authorization_details`` asked for (OID4VCI 1.0 §5.1.1), given
    back as ``credential_identifiers`` in the token response (§6.2) and named in its credential request (§8.2);
    None when it asked by the offer alone."""


class WalletNonce(Base):
    """A ``c_nonce`` from the nonce endpoint: a key proof must carry one that is unused and unexpired."""

    __tablename__ = "wallet_nonces"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
