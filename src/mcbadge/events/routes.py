"""``/api/v1/webhooks`` (an admin's webhook subscriptions) and ``/api/v1/deliveries`` (the delivery log of
webhooks and e-mail: read, and replay)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from ..api.auth import require
from ..api.deps import PageDep, ServicesDep, SessionDep
from ..api.problems import responses
from ..db.models import DeliveryStatus, Role
from ..errors import Forbidden
from ..features import Page
from ..principal import Principal
from . import service
from .outbox import EventType
from .schemas import DeliveryDetail, DeliveryRead, SubscriptionCreate, SubscriptionCreated, SubscriptionRead

router = APIRouter(tags=["events"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The delivery's number in the log.")]


@router.post("/api/v1/webhooks", status_code=201, response_model=SubscriptionCreated,
             responses=responses(Forbidden, service.ReceiverRefused))
def create_webhook(body: SubscriptionCreate, session: SessionDep, services: ServicesDep,
                   principal: Admin) -> SubscriptionCreated:
    """Subscribe a receiver (an LMS, an HR system) to the issuer's events. The answer holds the signing secret,
    shown this once. Each delivery is a POST signed as Standard Webhooks define (headers ``webhook-id``,
    ``webhook-timestamp``, ``webhook-signature``: ``v1,`` + base64 HMAC-SHA256 over
    ``<webhook-id>.<webhook-timestamp>.<body>`` with the secret's bytes), retried with exponential backoff."""
    return service.create_subscription(session, services, principal, body)


@router.get("/api/v1/webhooks", response_model=Page[SubscriptionRead], responses=responses(Forbidden))
def list_webhooks(session: SessionDep, principal: Admin, page: PageDep,
                  include_deleted: bool = False) -> Page[SubscriptionRead]:
    """The issuer's webhook subscriptions (without their secrets)."""
    return service.list_subscriptions(session, principal, page, include_deleted=include_deleted)


@router.get("/api/v1/webhooks/{subscription_id}", response_model=SubscriptionRead,
            responses=responses(Forbidden, service.UnknownSubscription))
def get_webhook(subscription_id: uuid.UUID, session: SessionDep, principal: Admin) -> SubscriptionRead:
    """One subscription (without its secret)."""
    return service.get_subscription(session, principal, subscription_id)


@router.delete("/api/v1/webhooks/{subscription_id}", status_code=204,
               responses=responses(Forbidden, service.UnknownSubscription))
def delete_webhook(subscription_id: uuid.UUID, session: SessionDep, principal: Admin) -> Response:
    """Stop sending to a receiver: its pending deliveries are cancelled; its delivery log stays readable."""
    service.delete_subscription(session, principal, subscription_id)
    return Response(status_code=204)


@router.get("/api/v1/deliveries", response_model=Page[DeliveryRead], responses=responses(Forbidden))
def list_deliveries(session: SessionDep, principal: Admin, page: PageDep,
                    subscription_id: uuid.UUID | None = None, status: DeliveryStatus | None = None,
                    type: Annotated[EventType | None, Query(description="Only events of this type.")] = None,
                    ) -> Page[DeliveryRead]:
    """The delivery log, newest first: every webhook delivery and e-mail, its status, attempts and last error."""
    return service.list_deliveries(session, principal, page, subscription_id=subscription_id, status=status,
                                   event_type=type.value if type else None)


@router.get("/api/v1/deliveries/{delivery_id}", response_model=DeliveryDetail,
            responses=responses(Forbidden, service.UnknownDelivery))
def get_delivery(delivery_id: DeliveryId, session: SessionDep, principal: Admin) -> DeliveryDetail:
    """One delivery: what its event said and each attempt (time, HTTP status or error, duration)."""
    return service.get_delivery(session, principal, delivery_id)


@router.post("/api/v1/deliveries/{delivery_id}/replay", response_model=DeliveryDetail,
             responses=responses(Forbidden, service.UnknownDelivery, service.DeliveryPending,
                                 service.SubscriptionDeleted))
def replay_delivery(delivery_id: DeliveryId, session: SessionDep, principal: Admin) -> DeliveryDetail:
    """Send a delivered, failed or cancelled delivery again (same event id and body, a new signature)."""
    return service.replay(session, principal, delivery_id)
