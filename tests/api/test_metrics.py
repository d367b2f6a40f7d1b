"""GET /metrics: what the service did, in the Prometheus text format, parsed with prometheus-client's own
parser; open to scrapers on this machine, or with the metrics token (issue 13, part 6)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import time

import base58
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mcbadge.api.app import create_app
from tests.factories.award_imports import award_file, award_row
from tests.factories.credentials import award_one, vc2
from tests.factories.tenants import Tenant, awarded_microcredential, passing_submissions
from tests.live_server import LiveServer, make_settings

ELSEWHERE = {"X-Forwarded-For": "203.0.113.9"}
"""uvicorn trusts forwarding headers from loopback (a proxy on this machine), so this request comes from afar."""


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_metrics_count_requests_awards_and_verifications(server: LiveServer, client: httpx.Client,
                                                         tenant: Tenant) -> None:
    [submission] = passing_submissions(server.app.state.services.sessions, tenant, server.settings.blob_dir, 1)
    award = client.post(f"/api/v1/submissions/{submission}/award", headers=tenant.headers())
    assert award.status_code == 201
    assert client.post(f"/api/v1/submissions/{submission}/award", headers=tenant.headers()).status_code == 200
    credential = award.json()["credential"]
    for _ in range(3):
        assert client.post("/verify", json=credential).json()["verified"] is True
    assert client.post("/verify", json={**credential, "name": "tampered"}).status_code == 200
    assert client.get(f"/api/v1/credentials/{award.json()['id']}x", headers=tenant.headers()).status_code == 422

    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    assert samples[("mcbadge_awards_total", (("format", "ldp"),))] == 1.0      # the repeat is not a new award
    assert samples[("mcbadge_verifications_total", (("outcome", "verified"),))] == 3.0
    assert samples[("mcbadge_verifications_total", (("outcome", "not_verified"),))] == 1.0
    assert samples[("mcbadge_verification_checks_total", (("check", "proof"), ("outcome", "failed")))] == 1.0
    verify = (("method", "POST"), ("route", "/verify"), ("status", "200"))
    assert samples[("mcbadge_http_requests_total", verify)] == 4.0
    # The route's template, never the path sent: an id a client made up does not become a label.
    templates = {dict(labels).get("route") for name, labels in samples if name == "mcbadge_http_requests_total"}
    assert "/api/v1/credentials/{credential_id}" in templates
    assert not any(t and award.json()["id"] in t for t in templates)
    assert samples[("mcbadge_http_request_duration_seconds_count", (("method", "POST"), ("route", "/verify")))] == 4.0

    refused = client.get("/metrics", headers=ELSEWHERE)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"


@pytest.fixture
def with_token(tmp_path: Path, database_url: str, http_switch: Any) -> Iterator[LiveServer]:
    settings = make_settings(tmp_path, public_base_url=http_switch.base_url, port=http_switch.port,
                             database_url=database_url, metrics_token="scrape-me-please")
    app = create_app(settings)
    try:
        with http_switch.serving(app):
            yield LiveServer(app, settings, http_switch.base_url)
    finally:
        app.state.engine.dispose()


def test_a_scraper_elsewhere_needs_the_token(with_token: LiveServer) -> None:
    with httpx.Client(base_url=with_token.base_url, trust_env=False, timeout=30) as client:
        assert client.get("/metrics", headers=ELSEWHERE).status_code == 403
        wrong = client.get("/metrics", headers={**ELSEWHERE, "Authorization": "Bearer nope"})
        assert wrong.status_code == 403
        right = client.get("/metrics", headers={**ELSEWHERE, "Authorization": "Bearer scrape-me-please"})
        assert right.status_code == 200 and "mcbadge_http_requests_total" in right.text


def _counts(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return _samples(response.text)


def test_metrics_count_status_list_signatures_outbound_fetches_and_import_progress(
        server: LiveServer, client: httpx.Client, tenant: Tenant) -> None:
    credential = award_one(server, tenant)
    signs = ("mcbadge_status_list_signs_total", (("purpose", "revocation"),))
    before = _counts(client).get(signs, 0.0)  # the process's count (status.service signs for every app here)
    revoked = client.post(f"/api/v1/credentials/{credential.id}/revoke", json={"reason": "in error"},
                          headers=tenant.headers())
    assert revoked.status_code == 200
    assert _counts(client)[signs] == before + 1  # the revocation re-signed its list once

    # An issuer at a private address: the guarded client refuses it without sending anything.
    foreign = {**vc2("did:web:10.0.0.5"), "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                                                    "verificationMethod": "did:web:10.0.0.5#key-1",
                                                    "proofPurpose": "assertionMethod",
                                                    "proofValue": "z" + base58.b58encode(bytes(64)).decode()}}
    assert client.post("/verify", json=foreign).json()["verified"] is False
    assert _counts(client)[("mcbadge_outbound_fetches_total", (("result", "refused"),))] == 1.0

    with server.app.state.services.sessions() as session, session.begin():
        key = awarded_microcredential(session, tenant.issuer, key="cfu-metrics").key
    rows = [award_row("ann@district.example.org", name="Ann", key=key, assessor=tenant.assessor.email),
            award_row("bo@district.example.org", name="Bo", key="no-such-thing", assessor=tenant.assessor.email)]
    posted = client.post("/api/v1/award-imports", content=award_file(rows).encode(),
                         headers={**tenant.headers(), "Content-Type": "text/csv"})
    assert posted.status_code == 202, posted.text
    deadline = time.monotonic() + 30
    while client.get(posted.headers["location"], headers=tenant.headers()).json()["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    counts = _counts(client)
    assert counts[("mcbadge_award_import_rows_total", ())] == 2.0
    assert counts[("mcbadge_award_import_outcomes_total", (("outcome", "awarded"),))] == 1.0
    assert counts[("mcbadge_award_import_outcomes_total", (("outcome", "refused"),))] == 1.0
    assert counts[("mcbadge_award_imports_total", (("result", "done"),))] == 1.0
    assert counts[("mcbadge_award_imports_running", ())] == 0.0
