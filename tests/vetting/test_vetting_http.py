"""Vetting over real HTTP (SQLite and PostgreSQL): a district nominates its micro-credential version to a
state-agency tenant of the same service, the state's reviewer accepts (a signed OB 3.0 EndorsementCredential)
or declines with reasons, and the catalogue says "vetted by" only while the endorsement verifies: not for a
new version, not once withdrawn, not if the definition no longer matches its digest."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import select

from mcbadge.db.models import AuditEvent, MicroCredential, Role
from mcbadge.identity import issuer_did
from mcbadge.vc.recognition import definition_digest
from mcbadge.vc.schema import validate_endorsement_credential
from tests.assertions import assert_problem, verify_live
from tests.factories.catalog import microcredential_body
from tests.factories.credentials import award_one
from tests.factories.recognition import make_agency
from tests.factories.tenants import Tenant, make_tenant
from tests.live_server import LiveServer
from tests.node_reference import node_reference  # noqa: F401 - the session fixture

MC = "/api/v1/microcredentials"
NOMINATIONS = "/api/v1/vetting/nominations"
ENDORSEMENTS = "/api/v1/vetting/endorsements"
STATE = "state-s"


def _agency(server: LiveServer, client: httpx.Client, slug: str = STATE) -> Tenant:
    return make_agency(server, slug)


def _published(client: httpx.Client, district: Tenant, key: str = "checking-for-understanding") -> dict[str, Any]:
    created = client.post(MC, json=microcredential_body(key=key), headers=district.headers())
    assert created.status_code == 201, created.text
    published = client.post(f"{MC}/{created.json()['id']}/publish", headers=district.headers())
    assert published.status_code == 200, published.text
    return published.json()


def _ref(district: Tenant, mc: dict[str, Any]) -> dict[str, Any]:
    return {"issuer": district.issuer.slug, "key": mc["key"], "version": mc["version"]}


def _achievement_url(server: LiveServer, district: Tenant, mc: dict[str, Any]) -> str:
    return f"{server.base_url}/issuers/{district.issuer.slug}/microcredentials/{mc['key']}/v{mc['version']}"


def _vetted_by(client: httpx.Client, district: Tenant, mc: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.get(f"{MC}/{mc['id']}", headers=district.headers())
    assert response.status_code == 200, response.text
    vetted: list[dict[str, Any]] = response.json()["vetted_by"]
    return vetted


def _vet(client: httpx.Client, agency: Tenant, district: Tenant, mc: dict[str, Any], status: int = 201) -> dict[str, Any]:
    response = client.post(ENDORSEMENTS, json={"microcredential": _ref(district, mc)}, headers=agency.headers())
    assert response.status_code == status, response.text
    endorsement: dict[str, Any] = response.json()
    return endorsement


def _served(server: LiveServer, client: httpx.Client, url: str) -> dict[str, Any]:
    response = client.get(url.removeprefix(server.base_url))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/ld+json")
    document: dict[str, Any] = response.json()
    return document


def _page(server: LiveServer, client: httpx.Client, url: str) -> str:
    response = client.get(url.removeprefix(server.base_url), headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html"), response.text
    return response.text


VETTED_BY_S = "Vetted by STATE-S Education Agency"


def test_nominate_accept_and_the_catalogue_says_vetted(server, client, tenant):
    agency = _agency(server, client)
    mc = _published(client, tenant)
    assert _vetted_by(client, tenant, mc) == []

    body = {"agency": STATE, "microcredential": _ref(tenant, mc), "note": "Used by 40 teachers; strong rubric."}
    nominated = client.post(NOMINATIONS, json=body, headers=tenant.headers())
    assert nominated.status_code == 201, nominated.text
    nomination = nominated.json()
    assert (nomination["status"], nomination["agency"], nomination["nominator_issuer"]) == (
        "pending", STATE, tenant.issuer.slug)
    again = client.post(NOMINATIONS, json=body, headers=tenant.headers())
    assert again.status_code == 200 and again.json()["id"] == nomination["id"]

    # The state's reviewer sees it among the pending nominations it received, with what to review.
    pending = client.get(NOMINATIONS, params={"status": "pending", "received": "true"}, headers=agency.headers())
    assert pending.status_code == 200, pending.text
    [seen] = pending.json()["items"]
    assert seen["id"] == nomination["id"] and seen["note"] == body["note"]
    assert seen["microcredential"]["title"] == mc["title"] and seen["microcredential"]["version"] == 1
    assert seen["microcredential"]["achievement_id"].endswith(f"/issuers/{tenant.issuer.slug}/microcredentials/"
                                                              f"{mc['key']}/v1")

    accepted = client.post(f"{NOMINATIONS}/{nomination['id']}/accept", json={"comment": "Meets our criteria."},
                           headers=agency.headers())
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and accepted.json()["endorsement"]
    endorsement_url = accepted.json()["endorsement"]

    # The nominator reads the outcome.
    outcome = client.get(f"{NOMINATIONS}/{nomination['id']}", headers=tenant.headers())
    assert outcome.status_code == 200 and outcome.json()["status"] == "accepted"
    assert outcome.json()["endorsement"] == endorsement_url

    # The endorsement is served to anyone at its id, and verifies as any credential does.
    document = _served(server, client, endorsement_url)
    assert document["id"] == endorsement_url
    assert document["issuer"]["id"] == issuer_did(server.base_url, STATE)
    assert document["credentialSubject"]["id"] == seen["microcredential"]["achievement_id"]
    assert document["credentialSubject"]["endorsementComment"].endswith("Meets our criteria.")
    report = verify_live(server, document)
    assert report.verified, [(c.code, c.message) for c in report.checks]
    checked = client.post("/verify", json=document)
    assert checked.status_code == 200 and checked.json()["verified"] is True, checked.text
    assert {c["code"]: c["outcome"] for c in checked.json()["checks"]}["schema"] == "passed"

    did = issuer_did(server.base_url, STATE)
    [label] = _vetted_by(client, tenant, mc)
    assert label["agency"] == did and label["agency_name"] == "STATE-S Education Agency"
    assert label["endorsement"] == endorsement_url
    listed = client.get(MC, headers=tenant.headers(Role.EDUCATOR)).json()["items"]
    assert [m["vetted_by"][0]["agency"] for m in listed if m["id"] == mc["id"]] == [did]
    # The public page at the Achievement id says so; its JSON is the definition whose digest was vetted.
    achievement_url = document["credentialSubject"]["id"]
    assert VETTED_BY_S in _page(server, client, achievement_url)
    definition = client.get(achievement_url.removeprefix(server.base_url)).json()
    assert definition_digest(definition) == document["credentialSubject"]["definitionDigest"]

    # Idempotent: accepting again, or vetting the same version directly, gives the same endorsement.
    assert client.post(f"{NOMINATIONS}/{nomination['id']}/accept", headers=agency.headers()).json()[
        "endorsement"] == endorsement_url
    assert _vet(client, agency, tenant, mc, status=200)["url"] == endorsement_url
    # Nominating a version the state already vets is a conflict that names the endorsement.
    problem = assert_problem(client.post(NOMINATIONS, json=body, headers=tenant.headers(Role.EDUCATOR)),
                             409, "already-vetted")
    assert problem["endorsement"] == endorsement_url

    with server.app.state.services.sessions() as session:
        logged = set(session.execute(select(AuditEvent.issuer_id, AuditEvent.action)).all())
    for issuer in (tenant.issuer.id, agency.issuer.id):
        assert {(issuer, "vetting.nominated"), (issuer, "vetting.endorsed"),
                (issuer, "vetting.nomination_accepted")} <= logged


def test_an_educator_nominates_and_the_state_declines_with_reasons(server, client, tenant):
    agency = _agency(server, client)
    mc = _published(client, tenant)
    educator = tenant.headers(Role.EDUCATOR)
    nominated = client.post(NOMINATIONS, json={"agency": STATE, "microcredential": _ref(tenant, mc),
                                               "note": "It changed how I check for understanding."}, headers=educator)
    assert nominated.status_code == 201, nominated.text
    nomination_id = nominated.json()["id"]
    reasons = ["The rubric's levels do not say what distinguishes Proficient from Exemplary.",
               "No research is cited for the key method."]

    assert_problem(client.post(f"{NOMINATIONS}/{nomination_id}/decline", json={"reasons": []},
                               headers=agency.headers()), 422)
    declined = client.post(f"{NOMINATIONS}/{nomination_id}/decline", json={"reasons": reasons},
                           headers=agency.headers())
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined" and declined.json()["reasons"] == reasons

    outcome = client.get(f"{NOMINATIONS}/{nomination_id}", headers=educator).json()
    assert (outcome["status"], outcome["reasons"], outcome["endorsement"]) == ("declined", reasons, None)
    assert [n["id"] for n in client.get(NOMINATIONS, headers=educator).json()["items"]] == [nomination_id]
    # The district's admin sees its educators' nominations too; nothing was vetted.
    assert [n["status"] for n in client.get(NOMINATIONS, headers=tenant.headers()).json()["items"]] == ["declined"]
    assert _vetted_by(client, tenant, mc) == []
    # A declined nomination is not accepted later (a new nomination is needed).
    assert_problem(client.post(f"{NOMINATIONS}/{nomination_id}/accept", headers=agency.headers()), 409,
                   "nomination-decided")
    with server.app.state.services.sessions() as session:
        logged = session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "vetting.nomination_declined", AuditEvent.issuer_id == tenant.issuer.id)).all()
    assert [d["reasons"] for d in logged] == [reasons]


def test_only_a_state_agency_vets_and_bad_input_gets_problem_details(server, client, tenant):
    agency = _agency(server, client)
    mc = _published(client, tenant)
    # A district is not a state agency: it cannot vet, accept or withdraw.
    assert_problem(client.post(ENDORSEMENTS, json={"microcredential": _ref(tenant, mc)}, headers=tenant.headers()),
                   403, "not-a-state-agency")
    nomination = client.post(NOMINATIONS, json={"agency": STATE, "microcredential": _ref(tenant, mc),
                                                "note": "Please."}, headers=tenant.headers()).json()
    assert_problem(client.post(f"{NOMINATIONS}/{nomination['id']}/accept", headers=tenant.headers()), 403,
                   "not-a-state-agency")
    # Roles: an educator does not vet, an assessor does not nominate.
    assert_problem(client.post(ENDORSEMENTS, json={"microcredential": _ref(tenant, mc)},
                               headers=tenant.headers(Role.EDUCATOR)), 403, "forbidden")
    assert_problem(client.post(NOMINATIONS, json={"agency": STATE, "microcredential": _ref(tenant, mc), "note": "x"},
                               headers=tenant.headers(Role.ASSESSOR)), 403, "forbidden")
    # Another district's admin nominates only its own micro-credentials.
    other = make_tenant(server.app.state.services.sessions, "district-b")
    assert_problem(client.post(NOMINATIONS, json={"agency": STATE, "microcredential": _ref(tenant, mc), "note": "x"},
                               headers=other.headers()), 403, "not-the-issuer")
    # Another state agency sees nothing of S's nominations.
    state_t = _agency(server, client, "state-t")
    assert_problem(client.post(f"{NOMINATIONS}/{nomination['id']}/accept", headers=state_t.headers()), 404,
                   "nomination-not-found")
    assert_problem(client.get(f"{NOMINATIONS}/{nomination['id']}", headers=state_t.headers()), 404)
    assert client.get(NOMINATIONS, headers=state_t.headers()).json()["items"] == []
    # Unknown things and malformed bodies: problem details, never a 500.
    assert_problem(client.post(NOMINATIONS, json={"agency": tenant.issuer.slug, "microcredential": _ref(tenant, mc),
                                                  "note": "x"}, headers=tenant.headers()), 422, "unknown-agency")
    assert_problem(client.post(NOMINATIONS, json={"agency": STATE, "note": "x", "microcredential": {
        **_ref(tenant, mc), "version": 9}}, headers=tenant.headers()), 422, "unknown-microcredential")
    assert_problem(client.post(NOMINATIONS, json={"agency": STATE, "microcredential": _ref(tenant, mc)},
                               headers=tenant.headers()), 422)
    assert_problem(client.post(NOMINATIONS, content=b"{not json", headers={**tenant.headers(),
                                                                           "content-type": "application/json"}), 400)
    assert_problem(client.post(ENDORSEMENTS, json={"microcredential": _ref(tenant, mc), "extra": 1},
                               headers=agency.headers()), 422)
    assert_problem(client.post(ENDORSEMENTS, json={"microcredential": _ref(tenant, mc),
                                                   "valid_until": "2001-01-01T00:00:00Z"}, headers=agency.headers()),
                   422, "invalid")
    assert_problem(client.post(f"{ENDORSEMENTS}/00000000-0000-0000-0000-000000000000/withdraw",
                               headers=agency.headers()), 404, "endorsement-not-found")
    assert_problem(client.get(f"/issuers/{STATE}/endorsements/not-a-uuid"), 422)
    assert_problem(client.get(f"/issuers/{STATE}/endorsements/00000000-0000-0000-0000-000000000000"), 404)


def test_a_new_version_is_not_vetted_until_endorsed_again(server, client, tenant):
    agency = _agency(server, client)
    v1 = _published(client, tenant)
    endorsement = _vet(client, agency, tenant, v1)
    v2 = client.post(f"{MC}/{v1['id']}/versions", json={"key_method": "Hinge questions and exit tickets."},
                     headers=tenant.headers())
    assert v2.status_code == 201, v2.text
    v2_read = v2.json()
    assert v2_read["version"] == 2 and v2_read["vetted_by"] == []
    assert _vetted_by(client, tenant, v2_read) == []
    assert [v["endorsement"] for v in _vetted_by(client, tenant, v1)] == [endorsement["url"]]
    listed = {m["version"]: m["vetted_by"] for m in client.get(MC, params={"key": v1["key"]},
                                                               headers=tenant.headers()).json()["items"]}
    assert listed[2] == [] and [v["agency"] for v in listed[1]] == [endorsement["agency"]]
    v2_page = _page(server, client, _achievement_url(server, tenant, v2_read))
    assert "Vetted by" not in v2_page and "No state agency vets this version." in v2_page
    assert VETTED_BY_S in _page(server, client, _achievement_url(server, tenant, v1))
    second = _vet(client, agency, tenant, v2_read)
    assert second["id"] != endorsement["id"] and second["definition_digest"] != endorsement["definition_digest"]
    assert [v["endorsement"] for v in _vetted_by(client, tenant, v2_read)] == [second["url"]]


def test_a_withdrawn_endorsement_takes_the_label_away(server, client, tenant):
    agency = _agency(server, client)
    mc = _published(client, tenant)
    endorsement = _vet(client, agency, tenant, mc)
    assert len(_vetted_by(client, tenant, mc)) == 1
    withdrawn = client.post(f"{ENDORSEMENTS}/{endorsement['id']}/withdraw", json={"reason": "Rubric under review."},
                            headers=agency.headers())
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawn_at"] and withdrawn.json()["withdrawal_reason"] == "Rubric under review."
    assert _vetted_by(client, tenant, mc) == []
    assert "Vetted by" not in _page(server, client, _achievement_url(server, tenant, mc))
    # Anyone verifying the served endorsement finds it revoked.
    report = verify_live(server, _served(server, client, endorsement["url"]))
    assert not report.verified and report.check("status").outcome.value == "failed"
    # Withdrawing again changes nothing; vetting again issues a new endorsement, and the label is back.
    assert client.post(f"{ENDORSEMENTS}/{endorsement['id']}/withdraw", headers=agency.headers()).status_code == 200
    again = _vet(client, agency, tenant, mc)
    assert again["id"] != endorsement["id"]
    assert [v["endorsement"] for v in _vetted_by(client, tenant, mc)] == [again["url"]]
    listed = client.get(ENDORSEMENTS, headers=agency.headers()).json()
    assert [(e["id"], e["withdrawn_at"] is not None) for e in listed["items"]] == [
        (again["id"], False), (endorsement["id"], True)]


def test_a_definition_that_no_longer_matches_its_digest_is_not_vetted(server, client, tenant):
    """A published version never changes through the API; should its stored definition change anyway (a
    restore, a hand edit), the endorsement no longer binds it and the label goes."""
    agency = _agency(server, client)
    mc = _published(client, tenant)
    _vet(client, agency, tenant, mc)
    assert len(_vetted_by(client, tenant, mc)) == 1
    with server.app.state.services.sessions() as session, session.begin():
        session.get_one(MicroCredential, uuid.UUID(mc["id"])).competency += " (edited in place)"
    assert _vetted_by(client, tenant, mc) == []


def test_the_endorsement_follows_the_unmodified_schema_and_verifies_in_the_node_reference(
        server, client, tenant, node_reference):  # noqa: F811
    agency = _agency(server, client)
    mc = _published(client, tenant)
    document = _served(server, client, _vet(client, agency, tenant, mc)["url"])
    assert validate_endorsement_credential(document) == []
    did = document["issuer"]["id"]
    did_document = client.get(f"/issuers/{STATE}/did.json").json()
    assert node_reference.verify(document, {did: did_document}) == {"verified": True, "errors": []}
    tampered = {**document, "credentialSubject": {**document["credentialSubject"], "definitionDigest":
                                                  document["credentialSubject"]["definitionDigest"][:-2] + "AA"}}
    assert node_reference.verify(tampered, {did: did_document})["verified"] is False


def test_the_badge_page_says_vetted_by_while_the_endorsement_verifies(server, client, tenant):
    agency = _agency(server, client)
    awarded = award_one(server, tenant)
    with server.app.state.services.sessions() as session:
        key = session.get_one(MicroCredential, awarded.microcredential_id).key
    badge_url = awarded.document["id"]
    assert "Vetted by" not in _page(server, client, badge_url)
    endorsement = _vet(client, agency, tenant, {"key": key, "version": 1})
    page = _page(server, client, badge_url)
    assert VETTED_BY_S in page and endorsement["url"] in page
    assert f"/issuers/{tenant.issuer.slug}/microcredentials/{key}/v1" in page
    client.post(f"{ENDORSEMENTS}/{endorsement['id']}/withdraw", headers=agency.headers())
    assert "Vetted by" not in _page(server, client, badge_url)


def test_vetting_the_same_version_at_the_same_time_gives_one_endorsement(server, client, tenant):
    agency = _agency(server, client)
    mc = _published(client, tenant)
    body = {"microcredential": _ref(tenant, mc)}

    def vet_once(_: int) -> httpx.Response:
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=30) as own:
            return own.post(ENDORSEMENTS, json=body, headers=agency.headers())

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(vet_once, range(4)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert client.get(ENDORSEMENTS, headers=agency.headers()).json()["total"] == 1
