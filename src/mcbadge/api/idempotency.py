"""``Idempotency-Key`` for POST routes: the same key and body get the same response, once.

A client that retries a POST after a timeout sends the same ``Idempotency-Key`` header. The first request
records ``(api key, Idempotency-Key)`` with a hash of the request (method, path, body) and no response
yet, in its own committed transaction, so concurrent duplicates see it; when the route returns, the status
and body are stored on that record. Then, for a request with the same key:

- same method, path and body, response stored → the stored response is replayed (header
  ``Idempotent-Replayed: true``);
- another method, path or body → 422 ``idempotency-key-reused``;
- the first request is still in flight → 409 ``idempotency-in-flight`` (retry later).

A request that fails with an error stores nothing: its record is removed, so the client may retry with
the same key. While a request runs, its process renews a short lease on the record (the setting
``idempotency_lease_seconds``, 6 s by default, renewed every third of it); a process that died (``kill -9``, a
crash, a lost machine) stops renewing, so within the lease a retry takes the key over and runs the request again,
which, for an award, returns the credential the first run committed (awards are idempotent per submission). A
record from before leases is taken over after ``IN_FLIGHT_TIMEOUT``.

Usage in a route (after authentication)::

    return run_idempotent(services, principal, request, body, lambda: (201, payload))
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Annotated, Any

from fastapi import Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from ..db.models import IdempotencyRecord
from ..db.session import transaction
from ..errors import Conflict, Invalid
from ..services import Services
from .auth import Principal

log = logging.getLogger(__name__)

__all__ = [
    "IN_FLIGHT_TIMEOUT",
    "IdempotencyInFlight",
    "IdempotencyKey",
    "IdempotencyKeyReused",
    "InvalidIdempotencyKey",
    "run_idempotent",
]

IN_FLIGHT_TIMEOUT = timedelta(minutes=5)
"""After this long without a response, an in-flight record without a lease is assumed abandoned."""

LEASE_RENEWALS = 3
"""Renewals per lease while the request runs (every ``idempotency_lease_seconds / LEASE_RENEWALS``): three
chances before the lease runs out, so a renewal waiting on a busy database does not free the key of a request
that is still running."""

MAX_KEY_LENGTH = 255

IdempotencyKey = Annotated[
    str | None,
    # The pattern is _check_key's rule, stated for the document (the check itself stays: it names the problem).
    Header(alias="Idempotency-Key", description="Makes a retried POST safe: same key and body, same response.",
           json_schema_extra={"pattern": f"^[!-~]{{1,{MAX_KEY_LENGTH}}}$"}),
]


class IdempotencyKeyReused(Invalid):
    """The Idempotency-Key was already used for a different request (another body, path or method)."""

    code = "idempotency-key-reused"


class IdempotencyInFlight(Conflict):
    """A request with this Idempotency-Key is still being processed; retry once it has finished."""

    code = "idempotency-in-flight"


class InvalidIdempotencyKey(Invalid):
    """The Idempotency-Key header is empty, too long, or not printable ASCII."""

    code = "invalid-idempotency-key"


def _request_hash(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(jsonable_encoder(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def _check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not all(0x21 <= ord(c) <= 0x7E for c in key):
        raise InvalidIdempotencyKey(f"Idempotency-Key must be 1-{MAX_KEY_LENGTH} printable ASCII characters")
    return key


def _claim(services: Services, principal: Principal, key: str, method: str, path: str,
           request_hash: str) -> uuid.UUID | JSONResponse:
    """Record the request as in flight (its record id), or the stored response to replay."""
    lease = timedelta(seconds=services.settings.idempotency_lease_seconds)
    with services.sessions() as session:
        try:
            with transaction(session):
                record = IdempotencyRecord(api_key_id=principal.api_key_id, key=key, method=method, path=path,
                                           request_hash=request_hash, status_code=None, response=None,
                                           lease_until=datetime.now(timezone.utc) + lease)
                session.add(record)
            return record.id
        except IntegrityError:
            pass
        with transaction(session):
            existing = session.scalars(
                select(IdempotencyRecord).where(IdempotencyRecord.api_key_id == principal.api_key_id,
                                                IdempotencyRecord.key == key)
            ).first()
            if existing is None:  # removed (its request failed) between our insert and this read
                raise IdempotencyInFlight("a request with this Idempotency-Key has just finished; retry")
            if (existing.method, existing.path, existing.request_hash) != (method, path, request_hash):
                raise IdempotencyKeyReused(
                    "this Idempotency-Key was used for a different request; use a new key for a new request"
                )
            if existing.status_code is not None:
                return JSONResponse(existing.response, status_code=existing.status_code,
                                    headers={"Idempotent-Replayed": "true"})
            now = datetime.now(timezone.utc)
            abandoned = (existing.lease_until < now if existing.lease_until is not None
                         else existing.created_at < now - IN_FLIGHT_TIMEOUT)
            if abandoned:
                # Take over an abandoned record; the condition makes only one concurrent taker win.
                taken = session.execute(
                    update(IdempotencyRecord)
                    .where(IdempotencyRecord.id == existing.id, IdempotencyRecord.created_at == existing.created_at,
                           IdempotencyRecord.status_code.is_(None),
                           (IdempotencyRecord.lease_until == existing.lease_until) if existing.lease_until is not None
                           else IdempotencyRecord.lease_until.is_(None))
                    .values(created_at=now, lease_until=now + lease)
                    .execution_options(synchronize_session=False)
                )
                # An UPDATE's result is a CursorResult (it has rowcount); Session.execute's type does not say so.
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return existing.id
            raise IdempotencyInFlight("a request with this Idempotency-Key is still in progress; retry later")


@contextmanager
def _leased(services: Services, record_id: uuid.UUID) -> Iterator[None]:
    """Renew the record's lease from a daemon thread while the block runs (see the module docstring)."""
    done = threading.Event()
    lease = timedelta(seconds=services.settings.idempotency_lease_seconds)
    renew_every = lease.total_seconds() / LEASE_RENEWALS

    def renew() -> None:
        while not done.wait(renew_every):
            try:
                with services.sessions() as session, transaction(session):
                    session.execute(update(IdempotencyRecord)
                                    .where(IdempotencyRecord.id == record_id, IdempotencyRecord.status_code.is_(None))
                                    .values(lease_until=datetime.now(timezone.utc) + lease)
                                    .execution_options(synchronize_session=False))
            except Exception:  # noqa: BLE001 - a missed renewal is retried; the lease covers two more
                log.warning("renewing the lease of idempotency record %s failed", record_id, exc_info=True)

    thread = threading.Thread(target=renew, name=f"idempotency-lease-{record_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=renew_every)


def run_idempotent(
    services: Services,
    principal: Principal,
    request: Request,
    key: str | None,
    body: Any,
    handler: Callable[[], tuple[int, Any]],
) -> JSONResponse:
    """Run ``handler`` (returning ``(status, JSON-able body)``) at most once per ``Idempotency-Key``.

    Without a key, just runs it. Call it after authentication, with the request's own session no longer
    inside a transaction (on SQLite an open transaction holds the write lock this needs).
    """
    if key is None:
        status_code, payload = handler()
        return JSONResponse(jsonable_encoder(payload), status_code=status_code)
    key = _check_key(key)
    method, path = request.method, request.url.path
    claimed = _claim(services, principal, key, method, path, _request_hash(method, path, body))
    if isinstance(claimed, JSONResponse):
        return claimed
    try:
        with _leased(services, claimed):
            status_code, payload = handler()
    except BaseException:
        with services.sessions() as session, transaction(session):
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == claimed))
        raise
    encoded = jsonable_encoder(payload)
    with services.sessions() as session, transaction(session):
        session.execute(
            update(IdempotencyRecord).where(IdempotencyRecord.id == claimed)
            .values(status_code=status_code, response=encoded)
            .execution_options(synchronize_session=False)
        )
    return JSONResponse(encoded, status_code=status_code)
