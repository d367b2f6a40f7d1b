"""Events (issue 15 part 5): webhooks per issuer, signed, retried, in order per credential, read and replayed in the
delivery log; e-mail to educators through a real SMTP server; all from the outbox, never inline with the award.

Each test serves a new app with its lifespan on (so the outbox worker runs in the server as in production) on
SQLite and on PostgreSQL, with a real webhook receiver and a real SMTP server on loopback (tests/events/conftest.py).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from sqlalchemy import select, update

from mcbadge.db.models import Role, WebhookSubscription, utcnow
from mcbadge.events.delivery import Outcome
from mcbadge.events.worker import OutboxWorker
from tests.factories.tenants import passing_submissions
from tests.live_server import SQLITE_ONLY

from .conftest import ALL_EVENTS, EventsServer, events_server, verified
from .receivers import SmtpSink, WebhookReceiver, wait_for


@pytest.fixture
def server(tmp_path: Path, database_url: str, smtp: SmtpSink) -> Iterator[EventsServer]:
    yield from events_server(tmp_path, database_url, smtp)


def test_a_receiver_down_then_up_gets_every_event_once_signed_and_in_order(server, receiver, smtp):
    subscription = server.subscribe(receiver.url)
    secret = subscription["secret"]
    assert secret.startswith("whsec_")
    listed = server.http.get(f"/api/v1/webhooks/{subscription['id']}", headers=server.tenant.headers())
    assert listed.status_code == 200 and "secret" not in listed.json()  # shown once only

    # The receiver is down (nothing listens on its port) while two credentials are awarded and one revoked.
    first, second = passing_submissions(server.app.state.services.sessions, server.tenant,
                                        server.settings.blob_dir, 2)
    credential_a = server.award(first).json()["id"]
    credential_b = server.award(second).json()["id"]
    revoked = server.http.post(f"/api/v1/credentials/{credential_a}/revoke", json={"reason": "Awarded in error"},
                               headers=server.tenant.headers())
    assert revoked.status_code == 200, revoked.text

    # Attempts fail and are retried with backoff; the log says so. Credential A's revocation waits behind its award.
    def retried() -> list[dict]:
        log = server.deliveries(subscription_id=subscription["id"])
        return [d for d in log if d["attempts"] >= 2 and d["status"] == "pending"]
    failing = wait_for(retried, what="failed attempts to be retried")
    detail = server.http.get(f"/api/v1/deliveries/{failing[0]['id']}", headers=server.tenant.headers()).json()
    assert detail["attempt_log"] and all(a["error"] and a["status_code"] is None for a in detail["attempt_log"])
    assert not receiver.received

    receiver.start()
    wait_for(lambda: len(receiver.received) >= 3 and all(
        d["status"] == "delivered" for d in server.deliveries(subscription_id=subscription["id"])),
        what="the three events to be delivered")
    bodies = [verified(r, secret) for r in receiver.received]
    assert len(receiver.received) == 3  # once each
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 3
    assert all(r.headers["webhook-id"] == b["id"] for r, b in zip(receiver.received, bodies))
    of_a = [b["type"] for b in bodies if b["data"]["credential_id"] == credential_a]
    assert of_a == ["credential.awarded", "credential.revoked"]  # in order for one credential
    assert [b["type"] for b in bodies if b["data"]["credential_id"] == credential_b] == ["credential.awarded"]
    revocation = next(b for b in bodies if b["type"] == "credential.revoked")
    assert revocation["data"]["reason"] == "Awarded in error"
    assert revocation["data"]["credential_url"].endswith(f"/credentials/{credential_a}")

    # E-mail: each educator was told of the award, through the SMTP server; the log records it delivered.
    wait_for(lambda: len(smtp.messages) >= 2, what="two award e-mails")
    assert all(m["Subject"] == "You earned \u201cChecking for Understanding\u201d (version 1)" for m in smtp.messages)
    assert {r[0] for r in smtp.recipients} == {b["data"]["educator"]["email"] for b in bodies
                                                if b["type"] == "credential.awarded"}
    assert any(f"/credentials/{credential_b}" in m.get_content() for m in smtp.messages)
    mails = server.deliveries(type="credential.awarded")
    assert sorted(d["channel"] for d in mails) == ["email", "email", "webhook", "webhook"]
    wait_for(lambda: all(d["status"] == "delivered" for d in server.deliveries(type="credential.awarded")),
             what="the e-mail deliveries to be recorded")

    # An admin replays a delivery: the same event (id and body), newly signed.
    delivered = server.deliveries(subscription_id=subscription["id"], type="credential.revoked")[0]
    replayed = server.http.post(f"/api/v1/deliveries/{delivered['id']}/replay", headers=server.tenant.headers())
    assert replayed.status_code == 200 and replayed.json()["status"] == "pending", replayed.text
    wait_for(lambda: len(receiver.received) == 4, what="the replay")
    again = receiver.received[3]
    assert again.headers["webhook-id"] == delivered["event_id"] and verified(again, secret)["type"] == "credential.revoked"

    # Deleting the subscription stops deliveries; its log stays readable.
    assert server.http.delete(f"/api/v1/webhooks/{subscription['id']}", headers=server.tenant.headers()).status_code == 204
    assert server.subscribe(receiver.url, ["credential.expiring"])  # another one, for other events only
    third = passing_submissions(server.app.state.services.sessions, server.tenant, server.settings.blob_dir, 1)[0]
    server.award(third)
    wait_for(lambda: len(smtp.messages) == 3, what="the third award e-mail")
    assert len(receiver.received) == 4
    assert len(server.deliveries(subscription_id=subscription["id"])) == 3  # a replay is another attempt of one


def test_an_award_is_as_fast_with_a_receiver_that_hangs(server, receiver):
    sessions = server.app.state.services.sessions
    first, second, third = passing_submissions(sessions, server.tenant, server.settings.blob_dir, 3)
    started = time.perf_counter()
    server.award(first)
    baseline = time.perf_counter() - started

    receiver.hang = True
    receiver.start()
    server.subscribe(receiver.url, ["credential.awarded"])
    server.award(second)
    wait_for(lambda: receiver.hanging >= 1, what="the receiver to hold a delivery")
    started = time.perf_counter()
    server.award(third)
    with_hanging_receiver = time.perf_counter() - started
    # The award returned while the receiver still held the earlier delivery unanswered: nothing waits for it.
    assert receiver.answered == 0 and receiver.hanging >= 1
    assert with_hanging_receiver < max(1.0, 3 * baseline), (baseline, with_hanging_receiver)


def test_refusals(server):
    refused = server.http.post("/api/v1/webhooks", json={"url": "http://10.0.0.5/hooks", "events": ALL_EVENTS},
                               headers=server.tenant.headers())
    assert refused.status_code == 422 and refused.json()["type"].endswith("receiver-refused"), refused.text
    unknown = server.http.post("/api/v1/webhooks", json={"url": "https://lms.example.org/h", "events": ["nope"]},
                               headers=server.tenant.headers())
    assert unknown.status_code == 422
    educator = server.http.get("/api/v1/deliveries", headers=server.tenant.headers(Role.EDUCATOR))
    assert educator.status_code == 403
    missing = server.http.get("/api/v1/deliveries/99999999", headers=server.tenant.headers())
    assert missing.status_code == 404 and missing.json()["type"].endswith("unknown-delivery")
    huge = server.http.get(f"/api/v1/deliveries/{2**70}", headers=server.tenant.headers())
    assert huge.status_code == 422


@pytest.fixture
def idle_server(tmp_path: Path, database_url: str, smtp: SmtpSink) -> Iterator[EventsServer]:
    """A server without its own worker: the test plays the workers (one that dies holding leases, one after it)."""
    yield from events_server(tmp_path, database_url, smtp, events_worker=False)


def test_deliveries_held_by_a_worker_that_died_are_delivered_after_its_lease(idle_server, receiver):
    server = idle_server
    receiver.start()
    secret = server.subscribe(receiver.url, ["credential.awarded"])["secret"]
    for submission in passing_submissions(server.app.state.services.sessions, server.tenant,
                                          server.settings.blob_dir, 2):
        server.award(submission)
    services = server.app.state.services
    dead, survivor = OutboxWorker(services), OutboxWorker(services)
    before = utcnow()  # the lease runs from the claim, no earlier than this (a later "now" raced a loaded machine)
    held = dead.claim(10)  # then the process is killed (-9): it never records anything
    assert len(held) == 4  # two webhooks, two e-mails
    assert survivor.claim(10) == []  # leased: nobody else takes them (FOR UPDATE SKIP LOCKED, a lease)
    lease = timedelta(seconds=server.settings.events_lease_seconds)
    assert survivor.claim(10, now=before + lease - timedelta(seconds=1)) == []
    taken_over = survivor.claim(10, now=utcnow() + lease + timedelta(seconds=1))  # once the lease has run out
    assert sorted(c.id for c in taken_over) == sorted(c.id for c in held)
    for claimed in taken_over:
        if claimed.channel == "webhook":
            survivor.attempt(claimed)
    assert len(receiver.received) == 2 and all(verified(r, secret) for r in receiver.received)
    # The dead worker's late word changes nothing: the lease is the survivor's.
    webhook = next(c for c in held if c.channel == "webhook")
    dead.record(webhook.id, Outcome(False, error="late"), 1)
    detail = server.http.get(f"/api/v1/deliveries/{webhook.id}", headers=server.tenant.headers()).json()
    assert detail["status"] == "delivered" and detail["attempts"] == 2
    assert json.loads(receiver.received[0].body)["type"] == "credential.awarded"


@SQLITE_ONLY  # sealing is above the database: the same statements on both
def test_signing_secrets_are_sealed_at_rest_and_an_older_versions_plain_ones_sealed_at_start(idle_server, receiver):
    server = idle_server
    receiver.start()
    services = server.app.state.services
    first = server.subscribe(receiver.url, ["credential.awarded"])
    second = server.subscribe(receiver.url, ["credential.awarded"])

    def stored() -> dict[str, str]:
        with services.sessions() as session:
            return {str(i): s for i, s in session.execute(select(WebhookSubscription.id, WebhookSubscription.secret))}

    # What the database holds is neither the secret nor anything that begins like one.
    at_rest = stored()
    for subscription in (first, second):
        assert subscription["secret"] not in at_rest[subscription["id"]]
        assert not at_rest[subscription["id"]].startswith("whsec_")

    # An older version kept the first in plain text; the worker seals it when it starts.
    with services.sessions() as session, session.begin():
        session.execute(update(WebhookSubscription).where(WebhookSubscription.id == uuid.UUID(first["id"]))
                        .values(secret=first["secret"]))
    assert stored()[first["id"]] == first["secret"]
    worker = OutboxWorker(services)
    worker.seal_plaintext_secrets()
    resealed = stored()[first["id"]]
    assert not resealed.startswith("whsec_") and first["secret"] not in resealed

    # A sealed value copied onto another row does not open there: that delivery fails and says why.
    with services.sessions() as session, session.begin():
        session.execute(update(WebhookSubscription).where(WebhookSubscription.id == uuid.UUID(second["id"]))
                        .values(secret=resealed))
    [submission] = passing_submissions(services.sessions, server.tenant, server.settings.blob_dir, 1)
    server.award(submission)
    for claimed in worker.claim(10):
        if claimed.channel == "webhook":
            worker.attempt(claimed)
    [received] = receiver.received
    assert verified(received, first["secret"])["type"] == "credential.awarded"
    [failed] = server.deliveries(subscription_id=second["id"])
    assert failed["status"] == "pending" and "signing secret cannot be read" in failed["last_error"]


def test_without_an_smtp_server_an_e_mail_fails_at_once_and_says_why(tmp_path, database_url, smtp):
    for server in events_server(tmp_path, database_url, smtp, smtp_host=None, events_worker=False):
        [submission] = passing_submissions(server.app.state.services.sessions, server.tenant,
                                           server.settings.blob_dir, 1)
        server.award(submission)
        worker = OutboxWorker(server.app.state.services)
        [mail] = worker.claim(10)
        worker.attempt(mail)
        [logged] = server.deliveries(type="credential.awarded")
        assert logged["channel"] == "email" and logged["status"] == "failed" and logged["attempts"] == 1
        assert "no SMTP server is configured" in logged["last_error"]
