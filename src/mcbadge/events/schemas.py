"""Request and response bodies of webhook subscriptions and the delivery log."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ..db.models import DeliveryStatus
from .outbox import EventType


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubscriptionCreate(_Strict):
    """A receiver of the issuer's events."""

    url: str = Field(min_length=1, max_length=2000, description="Where each event is POSTed: a public https URL.")
    events: list[EventType] = Field(min_length=1, max_length=len(EventType),
                                    description="The event types it receives.")
    description: str | None = Field(default=None, max_length=500)


class SubscriptionRead(_Strict):
    id: uuid.UUID
    url: str
    events: list[EventType]
    description: str | None
    created_at: datetime
    deleted_at: datetime | None


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="The signing secret (Standard Webhooks' whsec_...): shown this once only. "
                                    "Verify each delivery's webhook-signature with it.")


class DeliveryAttemptRead(_Strict):
    at: datetime
    status_code: int | None = Field(description="The receiver's HTTP status (or the SMTP reply code), if any.")
    error: str | None
    duration_ms: int


class DeliveryRead(_Strict):
    id: int
    event_id: uuid.UUID = Field(description="The event's id: the webhook-id header, the same at every attempt.")
    type: EventType
    channel: str = Field(description="webhook or email")
    subscription_id: uuid.UUID | None
    recipient: str | None = Field(description="An e-mail delivery's address.")
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = Field(description="When a pending delivery is attempted next.")
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class DeliveryDetail(DeliveryRead):
    data: dict[str, object] = Field(description="What the event says (the delivered body's data).")
    attempt_log: list[DeliveryAttemptRead]
