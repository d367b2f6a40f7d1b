"""What the wallet-offer API returns."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel

from .service import Offer

__all__ = ["OfferRead"]


class OfferRead(BaseModel):
    """An offer, shown once: the wallet link (the QR code's content) and the transaction code to type in."""

    id: uuid.UUID
    credential_id: uuid.UUID
    credential_offer: dict[str, Any]
    offer_link: str
    tx_code: str
    expires_at: str

    @classmethod
    def of(cls, offer: Offer) -> OfferRead:
        return cls(id=offer.id, credential_id=offer.credential_id, credential_offer=offer.credential_offer,
                   offer_link=offer.link, tx_code=offer.tx_code, expires_at=offer.expires_at.isoformat())
