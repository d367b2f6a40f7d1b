"""Shared by the events tests: a real webhook receiver and SMTP server on loopback, and an app served with its
lifespan on (the outbox worker runs in it, as in production), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook

from mcbadge.api.app import create_app
from mcbadge.config import Settings
from tests.factories.tenants import Tenant, make_tenant
from tests.live_server import free_socket, make_settings, serve

from .receivers import Received, SmtpSink, WebhookReceiver, expected_signature

ALL_EVENTS = ["submission.submitted", "submission.not_yet", "submission.passed", "credential.awarded",
              "credential.revoked", "credential.suspended", "credential.expiring", "designation.awarded"]


@dataclass
class EventsServer:
    app: FastAPI
    settings: Settings
    http: httpx.Client
    tenant: Tenant

    def subscribe(self, url: str, events: list[str] | None = None) -> dict:
        response = self.http.post("/api/v1/webhooks", json={"url": url, "events": events or ALL_EVENTS},
                                  headers=self.tenant.headers())
        assert response.status_code == 201, response.text
        return response.json()

    def award(self, submission_id: object) -> httpx.Response:
        response = self.http.post(f"/api/v1/submissions/{submission_id}/award", headers=self.tenant.headers())
        assert response.status_code == 201, response.text
        return response

    def deliveries(self, **params: object) -> list[dict]:
        response = self.http.get("/api/v1/deliveries", params={"limit": 200, **params}, headers=self.tenant.headers())
        assert response.status_code == 200, response.text
        return response.json()["items"]


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    try:
        yield hook
    finally:
        hook.release()
        hook.stop()


def events_server(tmp_path: Path, database_url: str, smtp: SmtpSink, **overrides: object) -> Iterator[EventsServer]:
    sock = free_socket()
    port = sock.getsockname()[1]
    values: dict[str, object] = dict(
        public_base_url=f"http://127.0.0.1:{port}", port=port, database_url=database_url, smtp_host="127.0.0.1",
        smtp_port=smtp.port, smtp_starttls=False, events_poll_seconds=0.05, events_retry_base_seconds=0.05,
        events_retry_max_seconds=0.3, events_max_attempts=50, expiry_check_seconds=0.1, events_lease_seconds=5)
    settings = make_settings(tmp_path, **(values | overrides))
    app = create_app(settings)
    try:
        with serve(app, sock, lifespan=True) as base_url, httpx.Client(base_url=base_url, trust_env=False,
                                                                        timeout=30) as http:
            tenant = make_tenant(app.state.services.sessions, settings.issuer_slug)
            yield EventsServer(app, settings, http, tenant)
    finally:
        app.state.engine.dispose()


def verified(received: Received, secret: str) -> dict:
    """The body of a delivery whose signature both the reference library and the documented recipe accept."""
    assert received.headers["webhook-signature"] == expected_signature(secret, received.headers, received.body)
    return Webhook(secret).verify(received.body, received.headers)
