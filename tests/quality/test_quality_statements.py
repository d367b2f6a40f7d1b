"""Signed quality statements (SQLite and PostgreSQL): published by an admin for the last full quarter, with no
figure from a cell below the minimum; verified by the Node reference (@digitalbazaar/vc); served publicly; and
shown next to the micro-credential's credentials on the badge page and in POST /verify."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mcbadge.db.models import AssessorQualification, MicroCredential, Person, Role
from mcbadge.identity import issuer_did
from mcbadge.quality.service import last_full_quarter
from mcbadge.vc.contexts import QUALITY_V1, pinned_bytes
from tests.browser import screenshot
from tests.factories import qualifications as q
from tests.factories import quality as seeded
from tests.factories.recognition import (
    STATE_S,
    make_agency,
    publish_registry,
    registry_entry,
    serving_trusting,
)
from tests.live_server import SQLITE_ONLY, LiveServer
from tests.node_reference import node_reference  # noqa: F401 - the session fixture
from tests.quality.test_quality_http import _quarter

STATEMENTS = "/api/v1/quality/statements"


@pytest.fixture
def server(tmp_path: Path, database_url: str, http_switch: Any) -> Iterator[LiveServer]:
    """As tests/conftest.py's ``server``, trusting the state agency that will be a tenant on it."""
    with serving_trusting(tmp_path, database_url, http_switch, [issuer_did(http_switch.base_url, STATE_S)]) as live:
        yield live


def _recognition(client, credential: dict) -> dict:
    [answer] = q.verify(client, credential)["recognition"]
    return answer


@SQLITE_ONLY  # checked by the Node reference or in the browser: above the database
def test_a_statement_is_signed_verifies_in_the_node_reference_and_shows_next_to_credentials(
        server, client, tenant, node_reference, browser):  # noqa: F811
    mc = q.published(client, tenant)
    for n in range(3):
        q.anchor(client, tenant, mc, f"Anchor {n}")
    assessor = tenant.headers(Role.ASSESSOR)
    qualification = q.qualified(client, tenant, tenant.assessor, assessor, mc)
    start, last = _quarter()
    sessions = server.app.state.services.sessions
    with sessions() as session, session.begin():
        # Qualified before the quarter (a re-calibration since then issued the current credential): the row's
        # dates are what the count reads.
        session.get_one(AssessorQualification, uuid.UUID(qualification["id"])).valid_from = start - timedelta(days=30)
    with sessions() as session:
        version, first = session.get_one(MicroCredential, uuid.UUID(mc["id"])), session.get_one(Person, tenant.assessor.id)
        session.expunge_all()
    seeded.seed_double_scored(sessions, tenant, start, datetime.now(timezone.utc), mc=version, first=first)
    report = client.get("/api/v1/quality/report", headers=tenant.headers(),
                        params={"from": start.date().isoformat(), "to": last.date().isoformat()}).json()
    overall_kappa = report["microcredentials"][0]["figures"]["agreement"]["kappa"]

    published = client.post(STATEMENTS, json={"microcredential_key": mc["key"]}, headers=tenant.headers())
    assert published.status_code == 201, published.text
    statement = published.json()
    document = statement["document"]
    assert (statement["period_start"], statement["period_end"]) == tuple(
        d.isoformat() for d in last_full_quarter(datetime.now(timezone.utc).date()))
    assert document["type"] == ["VerifiableCredential", "ScoringQualityStatement"]
    assert document["@context"] == ["https://www.w3.org/ns/credentials/v2", QUALITY_V1]
    subject = document["credentialSubject"]
    assert subject["id"] == f"{server.base_url}/issuers/{tenant.issuer.slug}/microcredentials/{mc['key']}"
    assert (subject["assessorsQualified"], subject["decisions"], subject["doubleScored"]) == (1, 12, 12)
    assert subject["doubleScoringRate"] == 1.0 and subject["minimumCellSize"] == 10
    assert subject["weightedKappa"] == round(overall_kappa, 3)
    assert subject["exactAgreement"] == round(seeded.OVERALL_EXACT, 3)
    assert (subject["medianTurnaroundDays"], subject["serviceLevelDays"], subject["withinServiceLevel"]) == (1.0, 14, 1.0)
    checks, reflection = subject["criterionAgreement"]
    assert checks["criterion"] == "varied-checks" and checks["weightedKappa"] == round(seeded.CHECKS_KAPPA, 3)
    assert reflection["weightedKappa"] == 1.0 and "withheld" not in subject
    # Nothing per assessor or per month: a statement is about the micro-credential, never a person.
    assert not {"assessors", "months", "overdue"} & set(json.dumps(subject).split('"'))

    did = document["issuer"]["id"]
    did_document = client.get(f"/issuers/{tenant.issuer.slug}/did.json").json()
    assert node_reference.verify(document, {did: did_document}) == {"verified": True, "errors": []}
    tampered = {**document, "credentialSubject": {**subject, "weightedKappa": 0.95}}
    assert node_reference.verify(tampered, {did: did_document})["verified"] is False

    served = client.get(statement["url"].removeprefix(server.base_url))
    assert served.status_code == 200 and served.json() == document
    assert served.headers["content-type"].startswith("application/ld+json")
    latest = client.get(f"/issuers/{tenant.issuer.slug}/quality-statements", params={"microcredential": mc["key"]})
    assert latest.status_code == 200 and latest.json() == document
    assert client.get("/contexts/quality/v1").content == pinned_bytes(QUALITY_V1)
    slug = tenant.issuer.slug
    assert client.get(f"/issuers/{slug}/quality-statements/{uuid.uuid4()}").status_code == 404
    assert client.get(f"/issuers/{slug}/quality-statements/not-a-uuid").status_code == 422
    assert client.get(f"/issuers/{slug}/quality-statements", params={"microcredential": "none"}).status_code == 404
    [listed] = client.get(STATEMENTS, headers=tenant.headers()).json()
    assert listed["id"] == statement["id"]

    # A credential of the micro-credential, scored by the qualified assessor: the label next to it.
    credential = q.scored_and_awarded(server, client, tenant, mc, tenant.assessor, assessor)
    verified = q.verify(client, credential)
    assert verified["verified"] is True
    label = verified["quality"]
    kappa = f"{round(overall_kappa, 3):.2f}"
    assert label["qualifiedAssessor"] is True and label["statement"] == statement["url"]
    assert label["text"].startswith(
        f"Scored by a qualified assessor; this micro-credential's scoring agreement {statement['period_start']} to "
        f"{statement['period_end']}: κ = {kappa}")
    # The badge page, as a browser shows it (headless Chromium, no script).
    context = browser.new_context(viewport={"width": 1000, "height": 1100}, java_script_enabled=False)
    try:
        page = context.new_page()
        assert page.goto(credential["id"]).status == 200
        shown = page.locator(".quality-label")
        assert shown.is_visible()
        assert shown.locator("strong").inner_text() == label["text"]
        assert shown.get_by_role("link").get_attribute("href") == statement["url"]
        screenshot(page, "badge-quality-statement")
    finally:
        context.close()

    # A state that requires a minimum scoring agreement in its recognition registry: met at 0.6, not at 0.7.
    agency = make_agency(server, STATE_S)
    publish_registry(client, agency, [registry_entry(tenant.issuer.slug, mc["key"], minimum_scoring_kappa=0.6)])
    assert _recognition(client, credential)["outcome"] == "recognised"
    publish_registry(client, agency, [registry_entry(tenant.issuer.slug, mc["key"], minimum_scoring_kappa=0.7)])
    refused = _recognition(client, credential)
    assert refused["outcome"] == "not_recognised"
    assert [r["code"] for r in refused["reasons"]] == ["scoring_agreement_below_minimum"]
    assert f"shows κ = {kappa}" in refused["reasons"][0]["message"]

    # A minimum above the cell: the next statement withholds every figure of it, and the label says so.
    assert client.patch("/api/v1/issuer", json={"quality_min_cell": 13}, headers=tenant.headers()).status_code == 200
    again = client.post(STATEMENTS, json={"microcredential_key": mc["key"]}, headers=tenant.headers()).json()
    small = again["document"]["credentialSubject"]
    for name in ("decisions", "doubleScored", "doubleScoringRate", "exactAgreement", "weightedKappa",
                 "medianTurnaroundDays", "withinServiceLevel"):
        assert name not in small and name in small["withheld"]
    assert all("weightedKappa" not in c and "notYetRate" in c["withheld"] for c in small["criterionAgreement"])
    assert node_reference.verify(again["document"], {did: did_document})["verified"] is True
    assert "withheld (fewer than 13" in q.verify(client, credential)["quality"]["text"]
    assert [r["code"] for r in _recognition(client, credential)["reasons"]] == ["scoring_agreement_unknown"]

    # Withdrawn (its figures were wrong, say): its revocation bit is set, so it no longer verifies anywhere, and
    # the statement before it is shown again; withdrawing it again changes nothing.
    assert again["document"]["credentialStatus"]["statusPurpose"] == "revocation"
    assert client.post(f"{STATEMENTS}/{again['id']}/withdraw", headers=tenant.headers(Role.ASSESSOR)).status_code == 403
    assert client.post(f"{STATEMENTS}/{uuid.uuid4()}/withdraw", headers=tenant.headers()).status_code == 404
    withdrawn = client.post(f"{STATEMENTS}/{again['id']}/withdraw", headers=tenant.headers())
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_at"] is not None, withdrawn.text
    assert client.post(f"{STATEMENTS}/{again['id']}/withdraw", headers=tenant.headers()).json() == withdrawn.json()
    checked = client.post("/credentials/verify", json={"verifiableCredential": again["document"]}).json()
    assert checked["verified"] is False and any("revoked" in str(p) for p in checked["problemDetails"]), checked
    assert client.post("/credentials/verify", json={"verifiableCredential": document}).json()["verified"] is True
    latest = client.get(f"/issuers/{slug}/quality-statements", params={"microcredential": mc["key"]})
    assert latest.json() == document
    shown = q.verify(client, credential)["quality"]
    assert shown["statement"] == statement["url"] and f"κ = {kappa}" in shown["text"]
    # With every statement withdrawn, only what the credential itself proves is said.
    assert client.post(f"{STATEMENTS}/{statement['id']}/withdraw", headers=tenant.headers()).status_code == 200
    assert q.verify(client, credential)["quality"] == {
        "qualifiedAssessor": True, "statement": None, "agreement": None, "weightedKappa": None, "periodStart": None,
        "periodEnd": None, "text": "Scored by a qualified assessor."}
    listed = {s["id"]: s["withdrawn_at"] for s in client.get(STATEMENTS, headers=tenant.headers()).json()}
    assert listed[statement["id"]] is not None and listed[again["id"]] is not None


@pytest.mark.parametrize("body, code", [
    ({"microcredential_key": "no-such-key"}, "unknown-microcredential"),
    ({"microcredential_key": "checking-for-understanding", "period_start": "2026-01-01"}, "invalid-period"),
    ({"microcredential_key": "checking-for-understanding", "period_start": "2026-02-01",
      "period_end": "2026-01-01"}, "invalid-period"),
    ({"microcredential_key": "checking-for-understanding", "period_start": "2026-01-01",
      "period_end": "2999-01-01"}, "invalid-period"),
])
def test_a_statement_that_cannot_be_made_is_a_problem(server, client, tenant, body, code):
    q.published(client, tenant)
    refused = client.post(STATEMENTS, json=body, headers=tenant.headers())
    assert refused.status_code == 422 and refused.json()["type"].endswith(code), refused.text
    assert client.post(STATEMENTS, json=body, headers=tenant.headers(Role.ASSESSOR)).status_code == 403
