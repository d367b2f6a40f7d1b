"""The recognition question over HTTP, narrowed (SQLite and PostgreSQL): ``POST /credentials/verify`` takes
mcbadge's namespaced ``options.recognition = {state, date, area}``; ``POST /verify`` takes ``state``, ``date``
and ``area`` query parameters; both are in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mcbadge.identity import issuer_did
from tests.factories.credentials import award_one
from tests.factories.recognition import (
    STATE_S,
    STATE_T,
    make_agency,
    microcredential_key,
    publish_registry,
    registry_entry,
    serving_trusting,
)
from tests.live_server import SQLITE_ONLY, LiveServer


@pytest.fixture
def server(tmp_path: Path, database_url: str, http_switch: Any) -> Iterator[LiveServer]:
    """As tests/conftest.py's ``server``, trusting the state agencies ``STATE_S`` and ``STATE_T``."""
    trusted = [issuer_did(http_switch.base_url, slug) for slug in (STATE_S, STATE_T)]
    with serving_trusting(tmp_path, database_url, http_switch, trusted) as live:
        yield live


def _vc_api(client: httpx.Client, credential: dict[str, Any], options: dict[str, Any] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"verifiableCredential": credential}
    if options is not None:
        body["options"] = options
    return client.post("/credentials/verify", json=body)


def _answers(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.json()["verified"] is True
    answers: list[dict[str, Any]] = response.json()["recognition"]
    return answers


@pytest.fixture
def recognised(server: LiveServer, client: httpx.Client, tenant: Any) -> dict[str, Any]:
    """A district credential that state S recognises for Mathematics (2024-01-01 to 2030-12-31)."""
    agency = make_agency(server, STATE_S)
    awarded = award_one(server, tenant)
    publish_registry(client, agency, [registry_entry(tenant.issuer.slug,
                                                     microcredential_key(server, awarded.microcredential_id))])
    document: dict[str, Any] = awarded.document
    return document


def test_the_vc_api_takes_state_date_and_area_in_options_recognition(server, client, recognised):
    did_s, did_t = issuer_did(server.base_url, STATE_S), issuer_did(server.base_url, STATE_T)
    everyone = _answers(_vc_api(client, recognised))
    assert {a["state"] for a in everyone} == {did_s, did_t}

    [answer] = _answers(_vc_api(client, recognised, {"recognition": {"state": did_s, "date": "2026-06-01",
                                                                     "area": "Mathematics"}}))
    assert answer["state"] == did_s and answer["outcome"] == "recognised"
    assert answer["matches"][0]["endorsement_area"] == "Mathematics"
    [other_area] = _answers(_vc_api(client, recognised, {"recognition": {"state": did_s, "area": "Science"}}))
    assert other_area["outcome"] == "not_recognised"
    assert [r["code"] for r in other_area["reasons"]] == ["area_not_listed"]
    assert other_area["messages"] == ["Not on STATE-S Education Agency's list for Science: STATE-S Education Agency "
                                      "recognises it only for Mathematics, not for Science"]
    [later] = _answers(_vc_api(client, recognised, {"recognition": {"state": did_s, "date": "2031-01-01"}}))
    assert [r["code"] for r in later["reasons"]] == ["entry_expired"]
    # The VC API's own options still pass (they do not change the checks), beside the namespaced one.
    [answer] = _answers(_vc_api(client, recognised, {"challenge": "abc", "recognition": {"state": did_s}}))
    assert answer["recognised"] is True

    untrusted = _vc_api(client, recognised, {"recognition": {"state": "did:web:elsewhere.example"}})
    assert untrusted.status_code == 422 and untrusted.json()["type"].endswith("untrusted-state")
    for bad in ({"recognition": {"state": did_s, "country": "X"}}, {"recognition": {"date": "June"}},
                {"recognition": "S"}):
        refused = _vc_api(client, recognised, bad)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_verify_takes_an_area(server, client, recognised):
    did_s = issuer_did(server.base_url, STATE_S)
    [maths] = _answers(client.post("/verify", json=recognised, params={"state": did_s, "area": "Mathematics"}))
    assert maths["recognised"] is True
    [science] = _answers(client.post("/verify", json=recognised, params={"state": did_s, "area": "Science"}))
    assert science["recognised"] is False and science["reasons"][0]["code"] == "area_not_listed"
    # Any area without the parameter.
    [anywhere] = _answers(client.post("/verify", json=recognised, params={"state": did_s}))
    assert anywhere["recognised"] is True


@SQLITE_ONLY  # the OpenAPI document does not depend on the database
def test_the_options_are_in_the_openapi_document(client):
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert set(schemas["RecognitionOptions"]["properties"]) == {"state", "date", "area"}
    assert schemas["VerifyOptions"]["properties"]["recognition"]["anyOf"][0]["$ref"].endswith("/RecognitionOptions")
    verify_parameters = {p["name"] for p in document["paths"]["/verify"]["post"]["parameters"]}
    assert verify_parameters == {"state", "date", "area"}
    report = document["paths"]["/api/v1/me/renewal-report"]["get"]
    assert {p["name"] for p in report["parameters"]} == {"state", "area", "from", "to", "format"}
    assert set(report["responses"]["200"]["content"]) == {"application/json", "text/csv", "text/html"}
