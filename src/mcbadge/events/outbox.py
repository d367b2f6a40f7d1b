"""Writing events into the outbox, in the caller's transaction (never delivering them: ``events.worker`` does).

An award, a revocation or an assessment calls :func:`emit` inside its own transaction: the event and one
:class:`~mcbadge.db.models.EventDelivery` row per receiver (each webhook subscription of the issuer that takes
the event's type, and the educator's e-mail address for the types they are told about) are committed with the
change, or not at all. So an event is never lost to a crash after the commit, never sent for a change that was
rolled back, and a slow or dead receiver costs the award nothing (the transactional outbox pattern).

Deliveries to one receiver keep the order of one ``ordering_key``: the events of one attempt and its
credential (``submission:<id>``), or of a credential that has no submission (a designation, ``credential:<id>``).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..credentials.build import credential_url
from ..db.models import (
    Credential,
    EventDelivery,
    MicroCredential,
    OutboxEvent,
    Person,
    Stack,
    Submission,
    WebhookSubscription,
)
from . import messages

__all__ = ["EDUCATOR_EMAILS", "EventType", "credential_data", "educator_of", "emit", "ordering_key_of", "submission_data"]


class EventType(str, enum.Enum):
    """What a webhook subscription can receive (its ``type`` in each delivery)."""

    SUBMITTED = "submission.submitted"      # an educator handed an attempt in for assessment
    NOT_YET = "submission.not_yet"          # assessed below the rubric, with feedback (e-mailed to the educator)
    PASSED = "submission.passed"            # assessed at or above the rubric; waiting for the award
    AWARDED = "credential.awarded"          # a micro-credential was awarded (e-mailed)
    REVOKED = "credential.revoked"
    SUSPENDED = "credential.suspended"
    EXPIRING = "credential.expiring"        # validUntil is within the notice period (e-mailed, once)
    DESIGNATION_AWARDED = "designation.awarded"  # a stack completed and its designation was awarded (e-mailed)


EDUCATOR_EMAILS = frozenset({EventType.NOT_YET, EventType.AWARDED, EventType.EXPIRING, EventType.DESIGNATION_AWARDED})
"""The events an educator is e-mailed about: feedback, awards, coming expiry."""


def emit(session: Session, *, issuer_id: uuid.UUID, type: EventType, ordering_key: str, data: Mapping[str, Any],
         educator_email: str | None = None) -> OutboxEvent:
    """Write ``type`` with ``data`` and its deliveries into the outbox, in the caller's transaction: one per
    subscription of the issuer that takes ``type``, and an e-mail to ``educator_email`` for the types educators
    are told about (written even when no SMTP server is configured: the worker then records it as not sent)."""
    event = OutboxEvent(id=uuid.uuid4(), issuer_id=issuer_id, type=type.value, data=dict(data))
    session.add(event)
    subscriptions = session.execute(select(WebhookSubscription.id, WebhookSubscription.events).where(
        WebhookSubscription.issuer_id == issuer_id, WebhookSubscription.deleted_at.is_(None))).all()
    for subscription_id, types in subscriptions:
        if type.value in types:
            session.add(EventDelivery(event_id=event.id, issuer_id=issuer_id, channel="webhook",
                                      subscription_id=subscription_id, target=f"webhook:{subscription_id}",
                                      ordering_key=ordering_key))
    if educator_email and type in EDUCATOR_EMAILS:
        subject, text = messages.educator_message(type.value, event.data)
        session.add(EventDelivery(event_id=event.id, issuer_id=issuer_id, channel="email",
                                  recipient=educator_email, message={"subject": subject, "text": text},
                                  target=f"email:{educator_email.lower()}", ordering_key=ordering_key))
    return event


def ordering_key_of(credential: Credential) -> str:
    """The order a credential's events keep: its attempt's (so submitted, passed and awarded stay in order)."""
    if credential.submission_id is not None:
        return f"submission:{credential.submission_id}"
    return f"credential:{credential.id}"


def _educator(person: Person) -> dict[str, Any]:
    return {"id": str(person.id), "name": person.name, "email": person.email}


def _microcredential(mc: MicroCredential) -> dict[str, Any]:
    return {"id": str(mc.id), "key": mc.key, "version": mc.version, "title": mc.title}


def submission_data(session: Session, submission: Submission, **extra: Any) -> dict[str, Any]:
    """What a submission event says: the attempt, its educator and micro-credential version."""
    return {"submission_id": str(submission.id), "attempt": submission.attempt,
            "educator": _educator(session.get_one(Person, submission.educator_id)),
            "microcredential": _microcredential(session.get_one(MicroCredential, submission.microcredential_id)),
            **extra}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def credential_data(session: Session, public_base_url: str, credential: Credential, **extra: Any) -> dict[str, Any]:
    """What a credential event says: the credential's id and URL, its educator, what it is for (a
    micro-credential version or a stack), its validity and what it renews."""
    data: dict[str, Any] = {
        "credential_id": str(credential.id), "credential_url": credential_url(public_base_url, credential.id),
        "educator": _educator(session.get_one(Person, credential.educator_id)),
        "valid_until": _iso(credential.valid_until),
        "renewal_of": str(credential.renewal_of) if credential.renewal_of else None,
    }
    if credential.submission_id is not None:
        data["submission_id"] = str(credential.submission_id)
    if credential.microcredential_id is not None:
        data["microcredential"] = _microcredential(session.get_one(MicroCredential, credential.microcredential_id))
    if credential.stack_id is not None:
        stack = session.get_one(Stack, credential.stack_id)
        data["stack"] = {"id": str(stack.id), "key": stack.key, "version": stack.version, "title": stack.name}
    return data | extra


def educator_of(session: Session, credential: Credential) -> str:
    """The e-mail address of the credential's educator."""
    return session.get_one(Person, credential.educator_id).email
