"""Webhook subscriptions (an admin makes, lists and deletes them) and the delivery log (read and replay).

Each subscription gets its own signing secret, shown once in the answer that creates it: the service keeps it
to sign (an HMAC needs the key itself), sealed at rest (``sealing``, bound to the subscription's row), never
shows it again, and never logs it. :func:`seal_plaintext_secrets` seals what an older version kept in plain text.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .. import sealing
from ..db.models import DeliveryAttempt, DeliveryStatus, EventDelivery, OutboxEvent, WebhookSubscription, utcnow
from ..db.session import read, transaction
from ..errors import Conflict, Invalid, NotFound
from ..features import Page, PageParams, audit, paginate
from ..outbound import OutboundError
from ..principal import Principal
from ..services import Services
from .schemas import DeliveryAttemptRead, DeliveryDetail, DeliveryRead, SubscriptionCreate, SubscriptionCreated, SubscriptionRead

__all__ = ["SEALING_PURPOSE", "UnknownDelivery", "UnknownSubscription", "create_subscription", "delete_subscription",
           "get_delivery", "list_deliveries", "list_subscriptions", "replay", "seal_plaintext_secrets"]

SEALING_PURPOSE = "webhook signing secrets"
_PLAIN_PREFIX = "whsec_"
"""How a secret stored before sealing begins (a sealed value, base64, never holds ``_``)."""


class UnknownSubscription(NotFound):
    """No webhook subscription with this id at the caller's issuer."""

    code = "unknown-subscription"


class UnknownDelivery(NotFound):
    """No delivery with this id at the caller's issuer."""

    code = "unknown-delivery"


class ReceiverRefused(Invalid):
    """The webhook URL is not one this service sends to (not https, or not a public address)."""

    code = "receiver-refused"


class SubscriptionDeleted(Conflict):
    """The delivery's subscription was deleted: there is no receiver to send it to."""

    code = "subscription-deleted"


class DeliveryPending(Conflict):
    """The delivery is still pending: it will be attempted without a replay."""

    code = "delivery-pending"


def _secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def _read(subscription: WebhookSubscription) -> SubscriptionRead:
    return SubscriptionRead(id=subscription.id, url=subscription.url, events=list(subscription.events),
                            description=subscription.description, created_at=subscription.created_at,
                            deleted_at=subscription.deleted_at)


def create_subscription(session: Session, services: Services, principal: Principal,
                        body: SubscriptionCreate) -> SubscriptionCreated:
    """A new subscription and its secret (shown this once). The URL must pass the outbound guard now (https, a
    public address), as every delivery will again."""
    try:
        services.outbound.check_url(body.url)
    except OutboundError as exc:
        raise ReceiverRefused(f"the webhook URL cannot be used: {exc}") from None
    secret = _secret()
    subscription_id = uuid.uuid4()
    sealed = sealing.seal(services.keystore, SEALING_PURPOSE, subscription_id, secret)
    with transaction(session):
        subscription = WebhookSubscription(id=subscription_id, issuer_id=principal.issuer_id, url=body.url,
                                           events=sorted({e.value for e in body.events}),
                                           description=body.description, secret=sealed,
                                           created_by=principal.person_id, created_at=utcnow())
        session.add(subscription)
        session.flush()
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="webhook.create",
              target=f"webhook:{subscription.id}", events=subscription.events)
        return SubscriptionCreated(**_read(subscription).model_dump(), secret=secret)


def signing_secret(services: Services, subscription_id: uuid.UUID, stored: str) -> str:
    """The subscription's signing secret from what its row holds (sealed; in plain text only until
    :func:`seal_plaintext_secrets` has run). :class:`sealing.Unsealable` when it does not open."""
    if stored.startswith(_PLAIN_PREFIX):
        return stored
    return sealing.unseal(services.keystore, SEALING_PURPOSE, subscription_id, stored)


def seal_plaintext_secrets(session: Session, services: Services) -> int:
    """Seal the secrets an older version stored in plain text (run by the outbox worker when it starts, where
    the passphrase is at hand, which a migration has not); how many were sealed. Running it twice, or in two
    processes at once, seals each secret at most once more: either sealed value opens."""
    with transaction(session):
        rows = session.execute(select(WebhookSubscription.id, WebhookSubscription.secret)
                               .where(WebhookSubscription.secret.startswith(_PLAIN_PREFIX))).all()
        for subscription_id, plain in rows:
            session.execute(update(WebhookSubscription)
                            .where(WebhookSubscription.id == subscription_id, WebhookSubscription.secret == plain)
                            .values(secret=sealing.seal(services.keystore, SEALING_PURPOSE, subscription_id, plain)))
        return len(rows)


def _own(session: Session, principal: Principal, subscription_id: uuid.UUID) -> WebhookSubscription:
    subscription = session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.issuer_id != principal.issuer_id:
        raise UnknownSubscription(f"no webhook subscription {subscription_id}")
    return subscription


def list_subscriptions(session: Session, principal: Principal, page: PageParams, *,
                       include_deleted: bool = False) -> Page[SubscriptionRead]:
    query = select(WebhookSubscription).where(WebhookSubscription.issuer_id == principal.issuer_id)
    if not include_deleted:
        query = query.where(WebhookSubscription.deleted_at.is_(None))
    with read(session):
        rows, total = paginate(session, query.order_by(WebhookSubscription.created_at, WebhookSubscription.id), page)
        return Page(items=[_read(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


def get_subscription(session: Session, principal: Principal, subscription_id: uuid.UUID) -> SubscriptionRead:
    with read(session):
        return _read(_own(session, principal, subscription_id))


def delete_subscription(session: Session, principal: Principal, subscription_id: uuid.UUID) -> None:
    """Stop sending to it: no new deliveries, its pending ones cancelled. Its delivery log stays readable."""
    with transaction(session):
        subscription = _own(session, principal, subscription_id)
        if subscription.deleted_at is not None:
            return
        subscription.deleted_at = utcnow()
        cancelled = session.execute(update(EventDelivery).where(
            EventDelivery.subscription_id == subscription_id, EventDelivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.CANCELLED, lease_owner=None, lease_until=None)
        ).rowcount  # type: ignore[attr-defined]  # an UPDATE's result is a CursorResult
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="webhook.delete",
              target=f"webhook:{subscription_id}", cancelled=int(cancelled or 0))


def _delivery_read(row: EventDelivery, event: OutboxEvent) -> dict[str, object]:
    return {"id": row.id, "event_id": row.event_id, "type": event.type, "channel": row.channel,
            "subscription_id": row.subscription_id, "recipient": row.recipient, "status": row.status,
            "attempts": row.attempts,
            "next_attempt_at": row.next_attempt_at if row.status is DeliveryStatus.PENDING else None,
            "last_error": row.last_error, "delivered_at": row.delivered_at, "created_at": row.created_at}


def list_deliveries(session: Session, principal: Principal, page: PageParams, *,
                    subscription_id: uuid.UUID | None = None, status: DeliveryStatus | None = None,
                    event_type: str | None = None) -> Page[DeliveryRead]:
    """The issuer's deliveries, newest first (webhooks and e-mail), optionally of one subscription, status or type."""
    query = (select(EventDelivery, OutboxEvent).join(OutboxEvent, OutboxEvent.id == EventDelivery.event_id)
             .where(EventDelivery.issuer_id == principal.issuer_id))
    if subscription_id is not None:
        query = query.where(EventDelivery.subscription_id == subscription_id)
    if status is not None:
        query = query.where(EventDelivery.status == status)
    if event_type is not None:
        query = query.where(OutboxEvent.type == event_type)
    query = query.order_by(EventDelivery.id.desc())
    with read(session):
        rows = session.execute(query.limit(page.limit).offset(page.offset)).all()
        total = session.scalar(select(func.count()).select_from(
            query.with_only_columns(EventDelivery.id).order_by(None).subquery())) or 0
        return Page(items=[DeliveryRead.model_validate(_delivery_read(d, e)) for d, e in rows], total=total,
                    limit=page.limit, offset=page.offset)


def _own_delivery(session: Session, principal: Principal, delivery_id: int) -> tuple[EventDelivery, OutboxEvent]:
    row = session.get(EventDelivery, delivery_id)
    if row is None or row.issuer_id != principal.issuer_id:
        raise UnknownDelivery(f"no delivery {delivery_id}")
    return row, session.get_one(OutboxEvent, row.event_id)


def _detail(session: Session, row: EventDelivery, event: OutboxEvent) -> DeliveryDetail:
    attempts = session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == row.id)
                               .order_by(DeliveryAttempt.id)).all()
    return DeliveryDetail.model_validate(_delivery_read(row, event) | {
        "data": dict(event.data),
        "attempt_log": [DeliveryAttemptRead(at=a.at, status_code=a.status_code, error=a.error, duration_ms=a.duration_ms)
                        for a in attempts]})


def get_delivery(session: Session, principal: Principal, delivery_id: int) -> DeliveryDetail:
    """One delivery with what its event said and every attempt (when, the answer or error, how long)."""
    with read(session):
        row, event = _own_delivery(session, principal, delivery_id)
        return _detail(session, row, event)


def replay(session: Session, principal: Principal, delivery_id: int) -> DeliveryDetail:
    """Send a settled delivery (delivered, failed or cancelled) again, with the same event id and body and a new
    signature, and a full schedule of attempts; the attempts so far stay in its log."""
    with transaction(session):
        row, event = _own_delivery(session, principal, delivery_id)
        if row.status is DeliveryStatus.PENDING:
            raise DeliveryPending(f"delivery {delivery_id} is pending: it will be attempted again by itself")
        if row.subscription_id is not None and session.get_one(WebhookSubscription, row.subscription_id).deleted_at:
            raise SubscriptionDeleted(f"the subscription of delivery {delivery_id} was deleted")
        row.status = DeliveryStatus.PENDING
        row.attempts = 0
        row.next_attempt_at = utcnow()
        row.lease_owner = row.lease_until = None
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="delivery.replay",
              target=f"delivery:{row.id}")
        return _detail(session, row, event)
