"""Sending one delivery: a signed webhook POST through the guarded client, or an e-mail through the configured
SMTP server. Nothing here touches the database (``events.worker`` claims and records).

Webhook requests follow Standard Webhooks (https://www.standardwebhooks.com/), which receivers have libraries for:

``webhook-id``
    the event's id, the same at every attempt and replay: the receiver's idempotency key (at-least-once
    delivery means a receiver may see an event twice, after a crash or a lost answer).
``webhook-timestamp``
    the attempt's time, in seconds since the epoch; receivers refuse old ones (replayed captures).
``webhook-signature``
    ``v1,`` + base64 of HMAC-SHA256(secret, ``<webhook-id>.<webhook-timestamp>.<body>``), the secret being the
    subscription's ``whsec_...`` (base64 after the prefix), shown once when the subscription was made.

The body is JSON: ``{"id", "type", "timestamp", "data"}``. Any 2xx answer is a delivery; anything else (a
3xx too: redirects are not followed), no answer or a timeout is a failed attempt.
"""

from __future__ import annotations

import json
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

from ..config import Settings
from ..outbound import OutboundClient, OutboundError

__all__ = ["Outcome", "send_email", "send_webhook", "webhook_body"]

_USER_AGENT = "mcbadge-webhooks/0.1"


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended."""

    delivered: bool
    status_code: int | None = None
    error: str | None = None
    final: bool = False
    """A failure no retry can mend (no SMTP server is configured): the delivery fails at once."""


def webhook_body(event_id: str, type: str, created_at: datetime, data: Mapping[str, Any]) -> bytes:
    """The JSON body of every delivery of an event (the same bytes at every attempt)."""
    return json.dumps({"id": event_id, "type": type, "timestamp": created_at.isoformat(timespec="seconds"),
                       "data": data}, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def send_webhook(outbound: OutboundClient, url: str, secret: str, event_id: str, body: bytes, *,
                 now: datetime | None = None) -> Outcome:
    """POST ``body`` to ``url``, signed (the standardwebhooks library, the reference implementation, signs)."""
    now = now or datetime.now(timezone.utc)
    signature = Webhook(secret).sign(event_id, now, body.decode("utf-8"))
    headers = {"content-type": "application/json", "user-agent": _USER_AGENT, "webhook-id": event_id,
               "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}
    try:
        status = outbound.post(url, body, headers=headers)
    except OutboundError as exc:
        return Outcome(False, error=str(exc))
    if 200 <= status < 300:
        return Outcome(True, status_code=status)
    return Outcome(False, status_code=status, error=f"HTTP {status}")


def send_email(settings: Settings, *, to: str, subject: str, text: str, message_id: str) -> Outcome:
    """Send one plain-text message through the configured SMTP server (standard library ``smtplib``: the
    conversation is short and runs in the worker's own thread, so an async client would add nothing)."""
    if not settings.smtp_host:
        return Outcome(False, error="not sent: no SMTP server is configured (MCBADGE_SMTP_HOST)", final=True)
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    # The same Message-ID at every attempt: a mail system that got it twice (at-least-once) can tell.
    message["Message-ID"] = message_id
    message.set_content(text)
    context = ssl.create_default_context()
    try:
        if settings.smtp_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                                    timeout=settings.smtp_timeout, context=context)
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
        with client:
            if settings.smtp_starttls and not settings.smtp_ssl:
                client.starttls(context=context)
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                client.login(settings.smtp_username, password)
            client.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        # The class and the server's reply code, never the message (it may hold addresses).
        code = getattr(exc, "smtp_code", None)
        return Outcome(False, status_code=code if isinstance(code, int) else None,
                       error=f"SMTP: {type(exc).__name__}" + (f" {code}" if code else ""))
    return Outcome(True)
