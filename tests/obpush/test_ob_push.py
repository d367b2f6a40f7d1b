"""The 1EdTech OB 3.0 API as a client, between two mcbadge deployments over real HTTP (issue 15 part 2).

District A runs its own deployment over https (so host B resolves its did:web and reads its status lists through
the guarded client, over real TLS); host B is the test's server (SQLite or PostgreSQL). A's educator connects
their account at B: A reads B's discovery document, registers there (RFC 7591), and B's consent page (the
educator signs in with their key at B) sends them back to A with a code that A exchanges with PKCE. A's admin
pushes credentials: B verifies each before storing it (created, then replaced); a revoked credential and a
token without the upsert scope are refused with B's reason; an expired access token is refreshed.
"""

from __future__ import annotations

import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, update

from mcbadge.api.app import create_app
from mcbadge.db.models import Role
from mcbadge.db.oauth_models import OAuthToken, UpsertedCredential
from mcbadge.db.ob_push_models import ObConnection
from mcbadge.db.session import transaction
from mcbadge.oauth.scopes import OB_CREDENTIAL_READONLY
from tests.assertions import assert_problem
from tests.factories.credentials import award_one
from tests.factories.oauth import hidden_fields
from tests.factories.tenants import make_tenant
from tests.live_server import LiveServer, free_socket, make_settings, serve
from tests.local_servers import TestCA

@contextmanager
def district_a(tmp_path: Path, ca: TestCA) -> Iterator[LiveServer]:
    """District A's own deployment on https; its status lists may be reused for 0 s (a revocation is seen at once)."""
    sock = free_socket()
    base = f"https://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(tmp_path, public_base_url=base, issuer_slug="district-a", issuer_name="District A",
                             status_list_max_age=0, outbound_ca_file=ca.ca_file)
    app = create_app(settings)
    try:
        with serve(app, sock, tls=ca.server_tls):
            yield LiveServer(app, settings, base)
    finally:
        app.state.engine.dispose()


@contextmanager
def host_b(tmp_path: Path, database_url: str, http_switch: Any, ca: TestCA) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path, public_base_url=http_switch.base_url, port=http_switch.port,
                             database_url=database_url, issuer_slug="host-b", outbound_ca_file=ca.ca_file)
    app = create_app(settings)
    try:
        with http_switch.serving(app):
            yield LiveServer(app, settings, http_switch.base_url)
    finally:
        app.state.engine.dispose()


def stored_at_b(b: LiveServer, educator_id: uuid.UUID) -> dict[str, Any]:
    with b.app.state.services.sessions() as session:
        return {row.credential_id: row.document for row in session.scalars(
            select(UpsertedCredential).where(UpsertedCredential.educator_id == educator_id))}


def test_an_issuer_pushes_credentials_to_another_hosts_ob_api(tmp_path: Path, database_url: str, http_switch: Any) -> None:
    ca = TestCA(tmp_path / "ca")
    with district_a(tmp_path / "a", ca) as a, host_b(tmp_path / "b", database_url, http_switch, ca) as b, \
            httpx.Client(base_url=a.base_url, trust_env=False, timeout=30,
                         verify=ssl.create_default_context(cafile=str(ca.ca_file))) as at_a, \
            httpx.Client(base_url=b.base_url, trust_env=False, timeout=30) as at_b:
        district = make_tenant(a.app.state.services.sessions, "district-a")
        host = make_tenant(b.app.state.services.sessions, "host-b")
        first, revoked = award_one(a, district), award_one(a, district)

        # A pushes nothing before the educator approved it at B.
        started = at_a.post("/api/v1/ob-connections", json={"host": b.base_url}, headers=district.headers(Role.EDUCATOR))
        assert started.status_code == 201, started.text
        connection = started.json()
        assert connection["authorization_url"].startswith(b.base_url + "/oauth/authorize?")
        assert_problem(at_a.post(f"/api/v1/ob-connections/{connection['id']}/push", headers=district.headers(),
                                 json={"credential_ids": [str(first.id)]}), 409, "ob-not-connected")

        # The educator approves at B (B's consent page, their B key); B sends them back to A with the code.
        page = at_b.get(connection["authorization_url"])
        assert page.status_code == 200 and "District A Schools (mcbadge)" in page.text, page.text
        back = at_b.post("/oauth/authorize", follow_redirects=False, data=hidden_fields(page.text) | {
            "api_key": host.keys[Role.EDUCATOR], "decision": "approve"})
        assert back.status_code == 302 and back.headers["location"].startswith(a.base_url + "/ob-connections/callback?")
        landed = at_a.get(back.headers["location"])
        assert landed.status_code == 200 and "Connected" in landed.text, landed.text
        assert at_a.get(back.headers["location"]).status_code == 404  # one answer per authorization request

        # A's admin pushes: B verifies and stores (created, then replaced).
        def push(*credentials: Any) -> list[dict[str, Any]]:
            response = at_a.post(f"/api/v1/ob-connections/{connection['id']}/push", headers=district.headers(),
                                 json={"credential_ids": [str(c.id) for c in credentials]})
            assert response.status_code == 200, response.text
            return response.json()

        assert [(r["outcome"], r["status"]) for r in push(first)] == [("created", 201)]
        assert stored_at_b(b, host.educator.id) == {first.document["id"]: first.document}
        assert [r["outcome"] for r in push(first)] == ["replaced"]

        # Revoked at A: B's verification fails its status, and A reports B's reason.
        assert at_a.post(f"/api/v1/credentials/{revoked.id}/revoke", json={"reason": "test"},
                         headers=district.headers()).status_code == 200
        [refused] = push(revoked)
        assert refused["outcome"] == "refused" and refused["status"] == 400, refused
        assert "revoked" in refused["reason"] and refused["reason"].startswith(f"{b.base_url} refused it: ")
        assert revoked.document["id"] not in stored_at_b(b, host.educator.id)

        # An expired access token is refreshed (B rotates the refresh token), and the push goes through.
        with a.app.state.services.sessions() as session, transaction(session):
            row = session.get_one(ObConnection, uuid.UUID(connection["id"]))
            old_refresh = row.refresh_token
            # Sealed at rest: B's tokens (mcbat_..., mcbrt_...) and client secret are not in A's database.
            assert row.access_token and row.refresh_token and row.client_secret
            assert not any(v.startswith(("mcbat_", "mcbrt_")) for v in (row.access_token, row.refresh_token))
            row.access_expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
        assert [r["outcome"] for r in push(first)] == ["replaced"]
        with a.app.state.services.sessions() as session:
            assert session.get_one(ObConnection, uuid.UUID(connection["id"])).refresh_token != old_refresh

        # A token without the upsert scope (narrowed at B): refused, with B's reason.
        with b.app.state.services.sessions() as session, transaction(session):
            session.execute(update(OAuthToken).values(scope=OB_CREDENTIAL_READONLY))
        [wrong_scope] = push(first)
        assert wrong_scope["outcome"] == "refused" and wrong_scope["status"] == 403, wrong_scope
        assert "scope" in wrong_scope["reason"]

        # Others' connections and credentials are not reachable; an unknown host is a clear error.
        assert_problem(at_a.post(f"/api/v1/ob-connections/{uuid.uuid4()}/push", headers=district.headers(),
                                 json={"credential_ids": [str(first.id)]}), 404, "ob-connection-not-found")
        assert_problem(at_a.post("/api/v1/ob-connections", json={"host": "https://127.0.0.1:9"},
                                 headers=district.headers(Role.EDUCATOR)), 502, "ob-host-failed")
        assert_problem(at_a.post("/api/v1/ob-connections", json={"host": b.base_url}, headers=district.headers()),
                       403, "forbidden")
