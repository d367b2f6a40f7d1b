"""State recognition over real HTTP (SQLite and PostgreSQL): a state-agency tenant publishes a signed
recognition registry naming a district's micro-credential, the verifier (trusting that state) answers
"Recognised by ...", reciprocity answers "through reciprocity", withdrawing the registry takes recognition
away, and the context route serves the exact pinned bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcbadge.db.models import MicroCredential
from mcbadge.identity import issuer_did
from mcbadge.vc.contexts import RECOGNITION_V1, pinned_bytes
from mcbadge.vc.data_integrity import sign_credential
from mcbadge.vc.dids import did_web_document
from mcbadge.vc.keys import Ed25519KeyPair
from mcbadge.vc.recognition import (
    CountCredit,
    RecognizedAchievement,
    definition_digest,
    registry_credential,
)
from mcbadge.vc.status_list import (
    BitstringStatusList,
    status_entry,
    status_list_credential,
)
from tests.browser import open_form, screenshot, submit
from tests.factories.credentials import award_one
from tests.factories.recognition import STATE_S, STATE_T, make_agency, serving_trusting
from tests.factories.tenants import Tenant, make_tenant
from tests.live_server import SQLITE_ONLY, LiveServer
from tests.local_servers import LocalServer, TestCA, send
from tests.node_reference import node_reference  # noqa: F401 - the session fixture


@pytest.fixture
def server(tmp_path: Path, database_url: str, http_switch: Any) -> Iterator[LiveServer]:
    """As tests/conftest.py's ``server``, trusting the two state agencies that will be tenants on it."""
    trusted = [issuer_did(http_switch.base_url, slug) for slug in (STATE_S, STATE_T)]
    with serving_trusting(tmp_path, database_url, http_switch, trusted) as live:
        yield live


def _agency(server: LiveServer, client: httpx.Client, slug: str) -> Tenant:
    agency = make_agency(server, slug)
    read = client.get("/api/v1/issuer", headers=agency.headers())
    assert read.json()["state_agency"] is True and read.json()["kind"] == "state_agency"
    return agency


def _awarded(server: LiveServer, tenant: Tenant) -> tuple[dict[str, Any], str]:
    """An awarded credential of the district and its micro-credential's key."""
    awarded = award_one(server, tenant)
    with server.app.state.services.sessions() as session:
        key = session.get_one(MicroCredential, awarded.microcredential_id).key
    document: dict[str, Any] = awarded.document
    assert document["credentialSubject"]["achievement"]["id"].endswith(f"/{key}/v1")
    return document, key


def _entry(district: Tenant, key: str, **overrides: Any) -> dict[str, Any]:
    return {"microcredential": {"issuer": district.issuer.slug, "key": key, "version": 1},
            "endorsement_areas": ["Mathematics"], "credit": {"kind": "count", "count": 1, "required": 3},
            "effective_from": "2024-01-01", "effective_until": "2030-12-31", **overrides}


def _publish(client: httpx.Client, agency: Tenant, entries: list[dict[str, Any]],
             accepts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    response = client.post("/api/v1/recognition-registries", json={"entries": entries, "accepts": accepts or [],
                                                                 "valid_from": "2024-01-01T00:00:00Z"},
                           headers=agency.headers())
    assert response.status_code == 201, response.text
    return response.json()


def _recognition(client: httpx.Client, credential: dict[str, Any], **params: str) -> list[dict[str, Any]]:
    response = client.post("/verify", json=credential, params=params)
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True, response.json()["summary"]
    answers: list[dict[str, Any]] = response.json()["recognition"]
    return answers


def test_a_state_recognises_a_district_micro_credential_until_it_withdraws_its_registry(server, client, tenant):
    agency = _agency(server, client, STATE_S)
    did_s = issuer_did(server.base_url, STATE_S)
    credential, key = _awarded(server, tenant)
    published = _publish(client, agency, [_entry(tenant, key)])

    public = client.get(f"/issuers/{STATE_S}/recognition-registry")
    assert public.status_code == 200 and public.headers["content-type"].startswith("application/ld+json")
    assert public.json() == published["document"] and public.json()["issuer"]["id"] == did_s
    assert client.get(published["url"].removeprefix(server.base_url)).json() == published["document"]

    [answer_s] = _recognition(client, credential, state=did_s, date="2026-06-01")
    assert answer_s["outcome"] == "recognised", answer_s["messages"]
    assert answer_s["messages"] == [
        "Recognised by STATE-S Education Agency for license renewal in Mathematics: counts 1 of the 3 "
        "micro-credentials required, effective 2024-01-01 to 2030-12-31"]
    # Every trusted state by default: T has published nothing, so T's answer is "could not be checked".
    answers = {a["state"]: a for a in _recognition(client, credential)}
    assert answers[did_s]["recognised"] is True
    assert answers[issuer_did(server.base_url, STATE_T)]["outcome"] == "not_checked"
    # Outside the entry's dates it does not count.
    [late] = _recognition(client, credential, state=did_s, date="2031-01-01")
    assert late["outcome"] == "not_recognised" and late["reasons"][0]["code"] == "entry_expired"

    withdrawn = client.post(f"/api/v1/recognition-registries/{published['id']}/withdraw", headers=agency.headers())
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None
    [after] = _recognition(client, credential, state=did_s, date="2026-06-01")
    assert after["recognised"] is False and after["outcome"] == "not_checked"
    assert after["reasons"][0]["code"] == "registry_not_verified"
    assert "did not verify" in after["messages"][0]


@SQLITE_ONLY  # checked by the Node reference: above the database (publishing runs on both below)
def test_a_published_registry_verifies_in_the_node_reference(server, client, tenant, node_reference):  # noqa: F811
    """The registry this service signs for a state agency (its context pinned on both sides) verifies in
    Digital Bazaar's vc: the signature covers every recognition term, none dropped as undefined."""
    agency = _agency(server, client, STATE_S)
    _, key = _awarded(server, tenant)
    document = _publish(client, agency, [_entry(tenant, key)], accepts=[{"agency": "did:web:state-t.example"}])["document"]
    did = document["issuer"]["id"]
    did_document = client.get(f"/issuers/{STATE_S}/did.json").json()
    assert node_reference.verify(document, {did: did_document}) == {"verified": True, "errors": []}
    tampered = json.loads(json.dumps(document))
    tampered["credentialSubject"]["recognizes"][0]["renewalCredit"]["count"] = 3
    assert node_reference.verify(tampered, {did: did_document})["verified"] is False


def test_recognition_through_reciprocity(server, client, tenant):
    agency_s, agency_t = _agency(server, client, STATE_S), _agency(server, client, STATE_T)
    did_s, did_t = issuer_did(server.base_url, STATE_S), issuer_did(server.base_url, STATE_T)
    credential, key = _awarded(server, tenant)
    _publish(client, agency_s, [_entry(tenant, key)])
    _publish(client, agency_t, [], accepts=[{"agency": did_s}])

    [answer] = _recognition(client, credential, state=did_t, date="2026-06-01")
    assert answer["outcome"] == "recognised_through_reciprocity", answer
    assert answer["matches"][0]["via"] == [did_s]
    assert answer["messages"][0].startswith(
        "Recognised by STATE-T Education Agency through reciprocity with STATE-S Education Agency "
        "for license renewal in Mathematics")


def test_only_a_state_agency_publishes_and_bad_input_gets_problem_details(server, client, tenant):
    credential, key = _awarded(server, tenant)
    refused = client.post("/api/v1/recognition-registries", json={"entries": [_entry(tenant, key)]},
                          headers=tenant.headers())
    assert refused.status_code == 403 and refused.json()["type"].endswith("not-a-state-agency")
    agency = _agency(server, client, STATE_S)
    unknown = client.post("/api/v1/recognition-registries",
                          json={"entries": [_entry(tenant, "no-such-key")]}, headers=agency.headers())
    assert unknown.status_code == 422 and unknown.json()["type"].endswith("unknown-microcredential")
    malformed = client.post("/api/v1/recognition-registries", json={"entries": [
        _entry(tenant, key, credit={"kind": "count", "count": 4, "required": 3})]}, headers=agency.headers())
    assert malformed.status_code == 422 and malformed.headers["content-type"].startswith("application/problem+json")
    untrusted = client.post("/verify", json=credential, params={"state": "did:web:elsewhere.example"})
    assert untrusted.status_code == 422 and untrusted.json()["type"].endswith("untrusted-state")
    assert client.get("/issuers/nobody/recognition-registry").status_code == 404


def test_the_context_route_serves_the_exact_pinned_bytes(client):
    response = client.get("/contexts/recognition/v1")
    assert response.status_code == 200
    assert response.content == pinned_bytes(RECOGNITION_V1)
    assert response.headers["content-type"].startswith("application/ld+json")
    assert "max-age" in response.headers["cache-control"]


@SQLITE_ONLY  # checked by the Node reference or in the browser: above the database
def test_the_verification_page_shows_recognition_in_plain_words(server, client, tenant, browser):
    agency = _agency(server, client, STATE_S)
    credential, key = _awarded(server, tenant)
    _publish(client, agency, [_entry(tenant, key, effective_until=None)])
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    try:
        page = context.new_page()
        open_form(page, server)
        page.get_by_label("Credential JSON or VC-JWT").fill(json.dumps(credential))
        submit(page)
        section = page.locator(".recognition")
        assert section.get_by_role("heading").inner_text() == "Recognition for license renewal"
        lines = section.locator("li").all_inner_texts()
        assert lines[0].startswith("Recognised by STATE-S Education Agency for license renewal in Mathematics: "
                                   "counts 1 of the 3 micro-credentials required, effective 2024-01-01, with no end date")
        # T is trusted too but has published nothing: said so, not hidden.
        assert lines[1].startswith("Could not check recognition by")
        screenshot(page, "verify-report-recognition")
    finally:
        context.close()


def test_a_state_on_another_deployment_is_reached_through_did_web(tmp_path, database_url, http_switch):
    """A state agency elsewhere (its own HTTPS server: DID document, registry beside it, status list): the
    verifier fetches its registry through the guarded client, verifies it, and answers; revoked there, gone."""
    ca = TestCA(tmp_path / "ca")
    with LocalServer(tls=ca.server_tls) as elsewhere:
        base = f"https://127.0.0.1:{elsewhere.port}/agencies/ks"
        did = f"did:web:127.0.0.1%3A{elsewhere.port}:agencies:ks"
        key = Ed25519KeyPair.generate().bound(did)
        bits = BitstringStatusList()
        bodies: dict[str, bytes] = {}

        def sign_list() -> None:
            unsigned = status_list_credential(id=f"{base}/status", issuer=did, status_purpose="revocation",
                                              encoded_list=bits.encode())
            bodies["status"] = json.dumps(sign_credential(unsigned, key)).encode()

        sign_list()
        elsewhere.routes["/agencies/ks/did.json"] = lambda h: send(
            h, 200, json.dumps(did_web_document(did, [key.public_key])).encode(), content_type="application/did+json")
        elsewhere.routes["/agencies/ks/status"] = lambda h: send(h, 200, bodies["status"], {"Cache-Control": "no-cache"},
                                                                 content_type="application/vc+ld+json")
        elsewhere.routes["/agencies/ks/recognition-registry"] = lambda h: send(
            h, 200, bodies["registry"], content_type="application/ld+json")
        with serving_trusting(tmp_path / "app", database_url, http_switch, [did], allow_loopback_fetch=True,
                      outbound_ca_file=ca.ca_file) as live, \
                httpx.Client(base_url=live.base_url, trust_env=False, timeout=30) as client:
            district = make_tenant(live.app.state.services.sessions, live.settings.issuer_slug)
            credential, _ = _awarded(live, district)
            achievement = credential["credentialSubject"]["achievement"]
            entry = RecognizedAchievement(credential["issuer"]["id"], achievement["id"], definition_digest(achievement),
                                          ("Science",), CountCredit(1, 2), date(2024, 1, 1))
            registry = registry_credential(
                id=f"{base}/recognition-registry", agency=did, agency_name="Kansas State Department of Education",
                entries=[entry], valid_from=datetime(2024, 1, 1, tzinfo=timezone.utc),
                credential_status=[status_entry(list_credential_url=f"{base}/status", index=7, purpose="revocation")])
            bodies["registry"] = json.dumps(sign_credential(registry, key)).encode()

            [answer] = _recognition(client, credential, date="2026-06-01")
            assert answer["outcome"] == "recognised", answer["messages"]
            assert answer["messages"][0].startswith(
                "Recognised by Kansas State Department of Education for license renewal in Science: counts 1 of the 2")
            assert elsewhere.hits["/agencies/ks/recognition-registry"] >= 1

            bits.set(7, True)
            sign_list()
            [withdrawn] = _recognition(client, credential, date="2026-06-01")
            assert withdrawn["outcome"] == "not_checked" and "revoked" in withdrawn["messages"][0], withdrawn
