"""The renewal report over real HTTP (SQLite and PostgreSQL): state S (a state-agency tenant) recognises a
district's micro-credentials for Mathematics; the educator's report says which count toward "k of n" or
hours, which do not and why (revoked, outside the cycle, entry not yet in effect, not issued to them, not
verifying, registry withdrawn), as JSON and CSV; bad parameters get problem details."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

import httpx

from mcbadge.db.models import Person, Role
from mcbadge.db.oauth_models import UpsertedCredential
from mcbadge.db.session import transaction
from mcbadge.identity import issuer_did
from mcbadge.renewal.table import COLUMNS
from mcbadge.vc.recognition import definition_digest
from tests.factories.credentials import award_one
from tests.factories.recognition import (
    STATE_S,
    STATE_T,
    make_agency,
    microcredential_key,
    publish_registry,
    registry_entry,
)
from tests.factories.stacks import (
    auto_award,
    award_over_api,
    designations,
    publish_stack,
    submission_key,
)
from tests.factories.tenants import Tenant, make_tenant, passing_submissions
from tests.live_server import LiveServer

TODAY = date.today()
CYCLE = {"from": (TODAY - timedelta(days=365)).isoformat(), "to": (TODAY + timedelta(days=365)).isoformat()}


def _award(server: LiveServer, tenant: Tenant) -> tuple[Any, str]:
    """A credential awarded to the tenant's educator (a new micro-credential each call) and its key."""
    awarded = award_one(server, tenant)
    return awarded, microcredential_key(server, awarded.microcredential_id)


def _report(client: httpx.Client, headers: dict[str, str], path: str = "/api/v1/me/renewal-report",
            **params: str) -> dict[str, Any]:
    response = client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def _by_reference(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {line["reference"]: line for line in report["credentials"]}


def _codes(line: dict[str, Any]) -> list[str]:
    return [r["code"] for r in line["reasons"]]


def test_k_of_n_counts_what_verifies_in_the_cycle_and_explains_the_rest(server, client, tenant):
    agency = make_agency(server, STATE_S)
    did_s = issuer_did(server.base_url, STATE_S)
    slug = tenant.issuer.slug
    (first, key1), (second, key2), (third, key3), (unlisted, _) = (_award(server, tenant) for _ in range(4))
    publish_registry(client, agency, [
        registry_entry(slug, key1), registry_entry(slug, key2),
        registry_entry(slug, key3, effective_from="2099-01-01", effective_until=None),
    ])
    revoked = client.post(f"/api/v1/credentials/{second.id}/revoke", json={"reason": "plagiarised evidence"},
                          headers=tenant.headers())
    assert revoked.status_code == 200, revoked.text

    report = _report(client, tenant.headers(Role.EDUCATOR), state=did_s, area="Mathematics", **CYCLE)
    assert report["state_name"] == "STATE-S Education Agency" and report["endorsement_area"] == "Mathematics"
    assert report["educator"]["id"] == str(tenant.educator.id)
    assert report["educator"]["license_number"] == tenant.educator.license_number
    assert report["registries"][0]["state"] == "verified" and report["registries"][0]["agency"] == did_s
    lines = _by_reference(report)
    url = f"{server.base_url}/credentials/"
    counted = lines[url + str(first.id)]
    assert counted["counts"] is True and counted["reasons"] == [] and counted["verified"] is True
    assert counted["recognition"]["credit"] == {"kind": "count", "count": 1, "required": 3, "hours": None,
                                                "text": "counts 1 of the 3 micro-credentials required"}
    assert counted["recognition"]["via"] == [] and counted["source"] == "awarded"
    assert counted["verification_url"] == url + str(first.id)
    assert counted["awarded_on"] == first.document["validFrom"][:10]
    assert _codes(lines[url + str(second.id)]) == ["revoked"]
    assert lines[url + str(second.id)]["counts"] is False and lines[url + str(second.id)]["verified"] is False
    assert _codes(lines[url + str(third.id)]) == ["entry_not_yet_effective"]
    assert _codes(lines[url + str(unlisted.id)]) == ["not_listed"]
    assert [line["counts"] for line in report["credentials"]] == [True, False, False, False]  # counted first
    assert report["totals"] == {"micro_credentials_counted": 1, "micro_credentials_required": 3,
                                "requirement_met": False, "hours_counted": 0.0, "counts_hours": False}
    assert report["summary"].startswith("1 credential counts toward renewal in Mathematics with STATE-S "
                                        "Education Agency")
    assert "1 of the 3 micro-credentials required (requirement not met)" in report["summary"]

    # A cycle that ended before the awards: nothing counts, each line says when it was awarded.
    past = _report(client, tenant.headers(Role.EDUCATOR), state=did_s, area="Mathematics",
                   **{"from": "2019-07-01", "to": "2024-06-30"})
    first_then = _by_reference(past)[url + str(first.id)]
    assert first_then["counts"] is False and _codes(first_then) == ["outside_cycle"]
    assert "outside the renewal cycle 2019-07-01 to 2024-06-30" in first_then["reasons"][0]["message"]
    assert past["totals"]["micro_credentials_counted"] == 0


def test_requirement_met_once_k_credentials_count_and_an_achievement_counts_once(server, client, tenant):
    agency = make_agency(server, STATE_S)
    did_s = issuer_did(server.base_url, STATE_S)
    awarded = [_award(server, tenant) for _ in range(2)]
    entries = [registry_entry(tenant.issuer.slug, key, credit={"kind": "count", "count": 1, "required": 2})
               for _, key in awarded]
    publish_registry(client, agency, entries)
    report = _report(client, tenant.headers(Role.EDUCATOR), state=did_s, area="Mathematics", **CYCLE)
    assert report["totals"]["micro_credentials_counted"] == 2 and report["totals"]["requirement_met"] is True
    assert "2 of the 2 micro-credentials required (requirement met)" in report["summary"]

    # The same credential brought in again as an added credential: one achievement, counted once.
    services = server.app.state.services
    with services.sessions() as session, transaction(session):
        session.add(UpsertedCredential(educator_id=tenant.educator.id, credential_id=awarded[0][0].document["id"] + "#copy",
                                       format="json", document=awarded[0][0].document,
                                       issued_at=awarded[0][0].issued_at))
    again = _report(client, tenant.headers(Role.EDUCATOR), state=did_s, area="Mathematics", **CYCLE)
    copy = next(line for line in again["credentials"] if line["source"] == "added")
    assert copy["counts"] is False and _codes(copy) == ["already_counted"]
    assert again["totals"]["micro_credentials_counted"] == 2


def test_hours_are_added_up(server, client, tenant):
    agency = make_agency(server, STATE_S)
    did_s = issuer_did(server.base_url, STATE_S)
    (_, key1), (_, key2) = _award(server, tenant), _award(server, tenant)
    publish_registry(client, agency, [
        registry_entry(tenant.issuer.slug, key1, credit={"kind": "hours", "hours": 6}),
        registry_entry(tenant.issuer.slug, key2, credit={"kind": "hours", "hours": 4.5}),
    ])
    report = _report(client, tenant.headers(Role.EDUCATOR), state=did_s, area="Mathematics", **CYCLE)
    assert sorted(line["recognition"]["credit"]["hours"] for line in report["credentials"]) == [4.5, 6]
    assert all(line["counts"] for line in report["credentials"])
    assert report["totals"] == {"micro_credentials_counted": 0, "micro_credentials_required": None,
                                "requirement_met": None, "hours_counted": 10.5, "counts_hours": True}
    assert "10.5 hours of professional learning" in report["summary"]


def _same_teacher(server: LiveServer, provider: Tenant, tenant: Tenant) -> None:
    with server.app.state.services.sessions() as session, transaction(session):
        session.get_one(Person, provider.educator.id).email = tenant.educator.email


def test_an_added_credential_counts_only_verified_and_issued_to_the_educator(server, client, tenant):
    services = server.app.state.services
    agency = make_agency(server, STATE_S)
    did_s = issuer_did(server.base_url, STATE_S)
    provider = make_tenant(services.sessions, f"provider-{uuid.uuid4().hex[:6]}")
    _same_teacher(server, provider, tenant)              # B knows the teacher by the address A knows
    brought, brought_key = _award(server, provider)      # provider B's credential, issued to this teacher
    stranger = make_tenant(services.sessions, f"other-{uuid.uuid4().hex[:6]}")
    theirs, theirs_key = _award(server, stranger)        # issued to another teacher
    tampered_source, tampered_key = _award(server, provider)
    publish_registry(client, agency, [registry_entry(provider.issuer.slug, brought_key),
                                      registry_entry(stranger.issuer.slug, theirs_key),
                                      registry_entry(provider.issuer.slug, tampered_key)])

    added = client.post("/api/v1/stacks/external-credentials", json={"credential": brought.document},
                        headers=tenant.headers(Role.EDUCATOR))
    assert added.status_code == 200, added.text
    # Stored without the entry check (as a wallet's upsert, or a row the store holds since): the report
    # verifies each one itself instead of trusting the store.
    tampered = {**tampered_source.document, "name": "A forged name"}
    with services.sessions() as session, transaction(session):
        for document in (theirs.document, tampered):
            session.add(UpsertedCredential(educator_id=tenant.educator.id, credential_id=document["id"],
                                           format="json", document=document, issued_at=brought.issued_at))

    report = _report(client, tenant.headers(Role.ADMIN), f"/api/v1/educators/{tenant.educator.id}/renewal-report",
                     state=did_s, area="Mathematics", **CYCLE)
    lines = _by_reference(report)
    counted = lines[brought.document["id"]]
    assert counted["counts"] is True and counted["source"] == "added"
    assert counted["issuer"] == issuer_did(server.base_url, provider.issuer.slug)
    assert _codes(lines[theirs.document["id"]]) == ["not_issued_to_educator"]
    assert lines[theirs.document["id"]]["verified"] is True  # it verifies: it is just not theirs
    assert _codes(lines[tampered["id"]]) == ["not_verified"]
    assert "proof" in lines[tampered["id"]]["reasons"][0]["message"]
    assert report["totals"]["micro_credentials_counted"] == 1

    # B revokes it: verified again for each report, it no longer counts.
    revoked = client.post(f"/api/v1/credentials/{brought.id}/revoke", json={"reason": "issued in error"},
                          headers=provider.headers())
    assert revoked.status_code == 200, revoked.text
    after = _report(client, tenant.headers(Role.EDUCATOR), state=did_s, area="Mathematics", **CYCLE)
    assert _codes(_by_reference(after)[brought.document["id"]]) == ["revoked"]
    assert after["totals"]["micro_credentials_counted"] == 0


def test_through_reciprocity_and_after_the_registry_is_withdrawn(server, client, tenant):
    agency_s, agency_t = make_agency(server, STATE_S), make_agency(server, STATE_T)
    did_s, did_t = issuer_did(server.base_url, STATE_S), issuer_did(server.base_url, STATE_T)
    awarded, key = _award(server, tenant)
    published = publish_registry(client, agency_s, [registry_entry(tenant.issuer.slug, key)])
    publish_registry(client, agency_t, [], accepts=[{"agency": did_s}])

    report_t = _report(client, tenant.headers(Role.EDUCATOR), state=did_t, area="Mathematics", **CYCLE)
    [line] = report_t["credentials"]
    assert line["counts"] is True and line["recognition"]["via"] == [did_s]
    assert line["recognition"]["agency_name"] == "STATE-S Education Agency"
    assert [r["agency"] for r in report_t["registries"]] == [did_t, did_s]
    assert report_t["totals"]["micro_credentials_required"] == 3  # T lists none itself: S's requirement

    withdrawn = client.post(f"/api/v1/recognition-registries/{published['id']}/withdraw", headers=agency_s.headers())
    assert withdrawn.status_code == 200, withdrawn.text
    report_s = _report(client, tenant.headers(Role.EDUCATOR), state=did_s, area="Mathematics", **CYCLE)
    assert report_s["registries"][0]["state"] == "withdrawn"
    [line] = report_s["credentials"]
    assert line["counts"] is False and _codes(line) == ["registry_withdrawn"]
    assert report_s["summary"] == "Nothing can be counted: STATE-S Education Agency has withdrawn its registry."


def test_csv_has_one_row_per_credential_with_the_same_data(server, client, tenant):
    agency = make_agency(server, STATE_S)
    did_s = issuer_did(server.base_url, STATE_S)
    (counted, key), (revoked, key2) = _award(server, tenant), _award(server, tenant)
    publish_registry(client, agency, [registry_entry(tenant.issuer.slug, key), registry_entry(tenant.issuer.slug, key2)])
    assert client.post(f"/api/v1/credentials/{revoked.id}/revoke", json={"reason": "error"},
                       headers=tenant.headers()).status_code == 200
    params = {"state": did_s, "area": "Mathematics", **CYCLE}
    as_json = _report(client, tenant.headers(Role.EDUCATOR), **params)
    for response in (client.get("/api/v1/me/renewal-report", params=params,
                                headers={**tenant.headers(Role.EDUCATOR), "Accept": "text/csv"}),
                     client.get("/api/v1/me/renewal-report", params={**params, "format": "csv"},
                                headers=tenant.headers(Role.EDUCATOR))):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].startswith('attachment; filename="renewal-report-')
        assert "no-store" in response.headers["cache-control"]
        rows = list(csv.reader(io.StringIO(response.text)))
        assert tuple(rows[0]) == COLUMNS
        records = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
        assert [r["credential_id"] for r in records] == [line["credential_id"] for line in as_json["credentials"]]
        first, second = records
        assert first["counts"] == "yes" and first["credit"] == "counts 1 of the 3 micro-credentials required"
        assert (first["credit_kind"], first["credit_count"], first["credit_required"]) == ("count", "1", "3")
        assert first["recognised_by"] == "STATE-S Education Agency" and first["reason_codes"] == ""
        assert first["verification_url"] == f"{server.base_url}/credentials/{counted.id}"
        assert first["awarded_on"] == counted.document["validFrom"][:10]
        assert first["achievement"] == counted.document["credentialSubject"]["achievement"]["name"]
        assert (first["state"], first["endorsement_area"]) == ("STATE-S Education Agency", "Mathematics")
        assert (first["cycle_start"], first["cycle_end"]) == (CYCLE["from"], CYCLE["to"])
        assert second["counts"] == "no" and second["reason_codes"] == "revoked" and second["credit"] == ""
        assert second["reasons"] == "its issuer has revoked it" and second["verified"] == "no"


def test_bad_parameters_and_who_may_read_get_problem_details(server, client, tenant):
    agency = make_agency(server, STATE_S)
    did_s = issuer_did(server.base_url, STATE_S)
    _, key = _award(server, tenant)
    publish_registry(client, agency, [registry_entry(tenant.issuer.slug, key)])
    educator = tenant.headers(Role.EDUCATOR)
    good = {"state": did_s, "area": "Mathematics", **CYCLE}

    def problem(params: dict[str, str], headers: dict[str, str] = educator, path: str = "/api/v1/me/renewal-report",
                status: int = 422) -> dict[str, Any]:
        response = client.get(path, params=params, headers=headers)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        body: dict[str, Any] = response.json()
        return body

    assert problem({**good, "state": "did:web:nowhere.example"})["type"].endswith("unknown-state")
    assert problem({**good, "from": "2027-01-01", "to": "2026-01-01"})["type"].endswith("invalid-renewal-cycle")
    unknown_area = problem({**good, "area": "Underwater Basket Weaving"})
    assert unknown_area["type"].endswith("unknown-endorsement-area") and unknown_area["areas"] == ["Mathematics"]
    problem({key: value for key, value in good.items() if key != "to"})
    problem({**good, "from": "last spring"})
    problem({**good, "format": "xml"})
    # Who may read it: the educator, and admins of their issuer; not other roles, not other tenants.
    path = f"/api/v1/educators/{tenant.educator.id}/renewal-report"
    assert client.get(path, params=good, headers=educator).status_code == 200
    assert client.get(path, params=good, headers=tenant.headers()).status_code == 200
    assert problem(good, headers=tenant.headers(Role.ASSESSOR), path=path, status=403)["type"].endswith("forbidden")
    assert problem(good, headers=tenant.headers(Role.ADMIN), status=403)["type"].endswith("forbidden")
    other = make_tenant(server.app.state.services.sessions, f"other-{uuid.uuid4().hex[:6]}")
    assert problem(good, headers=other.headers(), path=path, status=404)["type"].endswith("unknown-educator")
    assert problem(good, headers=other.headers(Role.EDUCATOR), path=path, status=403)["type"].endswith("forbidden")
    assert client.get(path, params=good).status_code == 401


def test_a_designation_counts_with_its_private_components_checked(server, client, tenant):
    """A state may list a designation (a stack's achievement) for hours. Its components are the educator's
    own credentials, one of them private: the report presents them with it, so they are checked, not
    "could not be checked"."""
    services = server.app.state.services
    agency = make_agency(server, STATE_S)
    did_s = issuer_did(server.base_url, STATE_S)
    auto_award(client, tenant, True)
    submissions = [passing_submissions(services.sessions, tenant, server.settings.blob_dir, 1)[0] for _ in range(2)]
    publish_stack(client, tenant, [{"kind": "local", "key": submission_key(server, s), "versions": [1]}
                                   for s in submissions])
    awarded = [award_over_api(client, tenant, s) for s in submissions]
    hidden = client.patch(f"/api/v1/credentials/{awarded[0]['id']}/visibility", json={"public": False},
                          headers=tenant.headers(Role.EDUCATOR))
    assert hidden.status_code == 200, hidden.text
    [designation] = designations(client, tenant)
    document = client.get(f"/api/v1/credentials/{designation['credential_id']}", headers=tenant.headers()).json()[
        "credential"]
    achievement = document["credentialSubject"]["achievement"]
    publish_registry(client, agency, [{
        "achievement_issuer": document["issuer"]["id"], "achievement_id": achievement["id"],
        "definition_digest": definition_digest(achievement, contexts=document["@context"]),
        "endorsement_areas": ["Mathematics"], "credit": {"kind": "hours", "hours": 30},
        "effective_from": "2024-01-01"}])

    report = _report(client, tenant.headers(Role.EDUCATOR), state=did_s, area="Mathematics", **CYCLE)
    lines = _by_reference(report)
    counted = lines[document["id"]]
    assert counted["counts"] is True, counted["reasons"]
    assert counted["recognition"]["credit"]["text"] == "counts 30 hours toward renewal"
    private = lines[awarded[0]["url"]]
    assert private["verification_url"] is None and _codes(private) == ["not_listed"]
    assert lines[awarded[1]["url"]]["verification_url"] == awarded[1]["url"]
    assert report["totals"]["hours_counted"] == 30.0
