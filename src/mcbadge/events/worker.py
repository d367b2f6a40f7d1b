"""The outbox worker: delivers what ``events.outbox`` wrote, and writes the ``credential.expiring`` events.

It runs in the server process, started by the app's lifespan (``api.app``): an asyncio task that hands every
blocking step (a claim, a delivery, a record) to a thread pool of its own, so it never takes a request thread
and a receiver that hangs holds one of its ``events_concurrency`` threads until the outbound timeout.

Several processes may run it on one PostgreSQL database. A delivery is **claimed** in a short transaction
(``SELECT ... FOR UPDATE SKIP LOCKED``: two workers never take the same row, neither waits for the other) by
setting a **lease** (``lease_owner``, ``lease_until``); the attempt runs outside any transaction; its outcome is
recorded in another, only while the lease is still this worker's. A worker killed mid-attempt (kill -9) leaves
the lease to expire, and another worker (or this one, restarted) attempts the delivery again: **at least once**,
each delivery carrying its event's id for the receiver to deduplicate. On SQLite (one process), ``BEGIN
IMMEDIATE`` serialises the claims.

**Order**: a delivery is claimed only when no earlier delivery to the same target with the same ordering key
(one attempt's and credential's events) is still pending, so a receiver that was down gets them in order when it
is back. A failed attempt waits ``events_retry_base_seconds`` doubled at each failure (with jitter), up to
``events_retry_max_seconds``; after ``events_max_attempts`` the delivery is ``failed`` (an admin can replay it)
and the ones after it go on.

**Expiry**: every ``expiry_check_seconds`` the worker writes one ``credential.expiring`` event for each credential
whose validUntil is within ``expiry_notice_days``, not revoked, not renewed, and not notified yet; the mark
(``expiry_notified_at``) and the event are one transaction, and rows are claimed like deliveries, so two
processes never notify twice.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import aliased

from ..db.models import (
    Credential,
    DeliveryAttempt,
    DeliveryStatus,
    EventDelivery,
    OutboxEvent,
    WebhookSubscription,
    utcnow,
)
from ..db.session import transaction
from ..sealing import Unsealable
from ..services import Services
from . import delivery
from .service import seal_plaintext_secrets, signing_secret
from .outbox import EventType, credential_data, educator_of, emit, ordering_key_of

__all__ = ["Claimed", "OutboxWorker", "backoff"]

log = logging.getLogger(__name__)

_MAX_ERROR = 500


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds the lease of, with what sending it needs."""

    id: int
    channel: str
    event_id: uuid.UUID
    type: str
    created_at: datetime
    data: dict[str, Any]
    url: str | None
    subscription_id: uuid.UUID | None
    secret: str | None
    """As stored: sealed (opened only to sign, outside the claim's transaction)."""
    recipient: str | None
    message: dict[str, Any] | None


def backoff(attempts: int, base: float, cap: float) -> float:
    """Seconds to wait after the ``attempts``-th failed attempt: base * 2^(attempts-1), at most ``cap``, less up to
    a fifth at random (jitter: the deliveries that failed together, when a receiver went down, do not all come
    back at the same instant)."""
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.8, 1.0)


class OutboxWorker:
    """One per server process (see the module docstring). :meth:`start` in a running event loop, :meth:`stop`."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        self.owner = f"{uuid.uuid4().hex[:12]}"
        self._pool = ThreadPoolExecutor(max_workers=self.settings.events_concurrency + 1,
                                        thread_name_prefix="mcbadge-outbox")
        self._in_flight: set[Future[None]] = set()
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    # -- the loop ---------------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="mcbadge-outbox")

    async def stop(self) -> None:
        """Stop claiming; attempts in flight finish in their threads (bounded by the outbound and SMTP
        timeouts) without being waited for: a lease they cannot record expires, and the delivery is attempted
        again elsewhere."""
        self._stopping.set()
        if self._task is not None:
            await self._task
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_expiry_check = 0.0
        try:
            await loop.run_in_executor(self._pool, self.seal_plaintext_secrets)
        except Exception:  # noqa: BLE001 - the secrets stay usable in plain text; delivery goes on
            log.exception("outbox worker: could not seal the webhook secrets kept in plain text")
        while not self._stopping.is_set():
            try:
                if time.monotonic() >= next_expiry_check:
                    await loop.run_in_executor(self._pool, self.notify_expiring)
                    next_expiry_check = time.monotonic() + self.settings.expiry_check_seconds
                free = self.settings.events_concurrency - len(self._in_flight)
                if free > 0:
                    for claimed in await loop.run_in_executor(self._pool, self.claim, free):
                        future = self._pool.submit(self.attempt, claimed)
                        self._in_flight.add(future)
                        future.add_done_callback(self._done)
            except Exception:  # noqa: BLE001 - a database hiccup must not end the worker: log, wait, go on
                log.exception("outbox worker: a round failed; trying again")
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=self.settings.events_poll_seconds)
            except TimeoutError:
                pass
            self._wake.clear()

    def _done(self, future: Future[None]) -> None:
        self._in_flight.discard(future)

    # -- claiming, attempting, recording ------------------------------------------------------------------

    def claim(self, limit: int, *, now: datetime | None = None) -> list[Claimed]:
        """Lease up to ``limit`` due deliveries whose earlier ones (same target and ordering key) are settled, as of
        ``now`` (default: the clock)."""
        now = now or utcnow()
        earlier = aliased(EventDelivery)
        blocked = exists().where(earlier.target == EventDelivery.target,
                                 earlier.ordering_key == EventDelivery.ordering_key,
                                 earlier.id < EventDelivery.id, earlier.status == DeliveryStatus.PENDING)
        with self.services.sessions() as session, transaction(session):
            rows = session.scalars(
                select(EventDelivery)
                .where(EventDelivery.status == DeliveryStatus.PENDING, EventDelivery.next_attempt_at <= now,
                       or_(EventDelivery.lease_until.is_(None), EventDelivery.lease_until < now), ~blocked)
                .order_by(EventDelivery.id).limit(limit)
                .with_for_update(skip_locked=True)).all()
            claimed = []
            for row in rows:
                row.lease_owner = self.owner
                row.lease_until = now + timedelta(seconds=self.settings.events_lease_seconds)
                row.attempts += 1
                event = session.get_one(OutboxEvent, row.event_id)
                url = secret = None
                if row.subscription_id is not None:
                    subscription = session.get_one(WebhookSubscription, row.subscription_id)
                    url, secret = subscription.url, subscription.secret
                claimed.append(Claimed(row.id, row.channel, event.id, event.type, event.created_at, dict(event.data),
                                       url, row.subscription_id, secret, row.recipient,
                                       dict(row.message) if row.message else None))
            return claimed

    def seal_plaintext_secrets(self) -> None:
        with self.services.sessions() as session:
            sealed = seal_plaintext_secrets(session, self.services)
        if sealed:
            log.info("outbox worker: sealed %d webhook secret(s) an older version kept in plain text", sealed)

    def attempt(self, claimed: Claimed) -> None:
        """Send one claimed delivery and record how it went (in the worker's threads)."""
        started = time.monotonic()
        try:
            outcome = self._send(claimed)
        except Exception as exc:  # noqa: BLE001 - an unexpected failure is a failed attempt, logged
            log.exception("outbox worker: delivery %s failed unexpectedly", claimed.id)
            outcome = delivery.Outcome(False, error=f"{type(exc).__name__}")
        try:
            self.record(claimed.id, outcome, int((time.monotonic() - started) * 1000))
        except Exception:  # noqa: BLE001 - the lease expires and the delivery is attempted again
            log.exception("outbox worker: could not record delivery %s", claimed.id)
        if outcome.delivered:
            self._wake_soon()

    def _send(self, claimed: Claimed) -> delivery.Outcome:
        if claimed.channel == "webhook":
            assert claimed.url is not None and claimed.secret is not None and claimed.subscription_id is not None
            try:
                secret = signing_secret(self.services, claimed.subscription_id, claimed.secret)
            except Unsealable:
                return delivery.Outcome(False, error="the subscription's signing secret cannot be read (was the key "
                                                     "passphrase changed?): create the subscription again")
            body = delivery.webhook_body(str(claimed.event_id), claimed.type, claimed.created_at, claimed.data)
            return delivery.send_webhook(self.services.outbound, claimed.url, secret, str(claimed.event_id), body)
        assert claimed.recipient is not None and claimed.message is not None
        return delivery.send_email(self.settings, to=claimed.recipient, subject=str(claimed.message["subject"]),
                                   text=str(claimed.message["text"]),
                                   message_id=f"<{claimed.event_id}.{claimed.id}@mcbadge>")

    def record(self, delivery_id: int, outcome: delivery.Outcome, duration_ms: int) -> None:
        """Log the attempt; settle the delivery (delivered, retried later, or failed) if the lease is still ours."""
        now = utcnow()
        with self.services.sessions() as session, transaction(session):
            session.add(DeliveryAttempt(delivery_id=delivery_id, at=now, status_code=outcome.status_code,
                                        error=(outcome.error or "")[:_MAX_ERROR] or None, duration_ms=duration_ms))
            row = session.scalars(select(EventDelivery).where(
                EventDelivery.id == delivery_id, EventDelivery.lease_owner == self.owner,
                EventDelivery.status == DeliveryStatus.PENDING).with_for_update()).first()
            if row is None:
                return  # the lease expired and another worker took the delivery over (or an admin cancelled it)
            row.lease_owner = None
            row.lease_until = None
            if outcome.delivered:
                row.status = DeliveryStatus.DELIVERED
                row.delivered_at = now
                row.last_error = None
            else:
                row.last_error = (outcome.error or "failed")[:_MAX_ERROR]
                if outcome.final or row.attempts >= self.settings.events_max_attempts:
                    row.status = DeliveryStatus.FAILED
                else:
                    row.next_attempt_at = now + timedelta(seconds=backoff(
                        row.attempts, self.settings.events_retry_base_seconds, self.settings.events_retry_max_seconds))

    def _wake_soon(self) -> None:
        # A delivery settled: the one after it (same credential) may go now, not at the next poll.
        try:
            loop = self._task.get_loop() if self._task is not None else None
        except RuntimeError:
            loop = None
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    # -- expiry ---------------------------------------------------------------------------------------------

    def notify_expiring(self, now: datetime | None = None) -> int:
        """Write ``credential.expiring`` for the credentials entering the notice period (see the module
        docstring); how many. Idempotent: each credential is marked once, in the transaction of its event."""
        now = now or utcnow()
        horizon = now + timedelta(days=self.settings.expiry_notice_days)
        renewal = aliased(Credential)
        base = self.services.public_base_url
        with self.services.sessions() as session, transaction(session):
            rows = session.scalars(
                select(Credential)
                .where(Credential.valid_until.is_not(None), Credential.valid_until > now,
                       Credential.valid_until <= horizon, Credential.expiry_notified_at.is_(None),
                       Credential.revoked_at.is_(None), ~exists().where(renewal.renewal_of == Credential.id))
                .order_by(Credential.valid_until).limit(500)
                .with_for_update(of=Credential, skip_locked=True)).all()
            for credential in rows:
                credential.expiry_notified_at = now
                emit(session, issuer_id=credential.issuer_id, type=EventType.EXPIRING,
                     ordering_key=ordering_key_of(credential), data=credential_data(session, base, credential),
                     educator_email=educator_of(session, credential))
            return len(rows)


