"""Assessor qualifications over real HTTP (SQLite and PostgreSQL): required to assign and score when the
issuer says so; cited by the awards the assessor scored; checked by the verifier at the time of the
assessment (a later revocation is a warning with its date, an earlier one fails); served as a credential
that the unmodified 1EdTech schema and @digitalbazaar/vc accept; pseudonymous unless the assessor opts in."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from mcbadge.db.models import Role
from mcbadge.vc.qualification import qualification_digest
from mcbadge.vc.schema import validate_achievement_credential
from tests.assertions import assert_problem
from tests.factories import qualifications as q
from tests.live_server import SQLITE_ONLY
from tests.node_reference import node_reference  # noqa: F401 - the session fixture


def _require(client, tenant, required: bool = True) -> None:
    changed = client.patch("/api/v1/issuer", json={"require_qualification": required}, headers=tenant.headers())
    assert changed.status_code == 200 and changed.json()["require_qualification"] is required, changed.text


def _revoke(client, tenant, qualification_id: str, **body) -> dict:
    response = client.post(f"{q.QUALIFICATIONS}/{qualification_id}/revoke", headers=tenant.headers(),
                           json={"reason": "Scoring drifted from the master scores.", **body})
    assert response.status_code == 200, response.text
    return response.json()


def _anchors(client, tenant, mc) -> None:
    for n in range(3):
        q.anchor(client, tenant, mc, f"Anchor {n}")


def test_an_assessor_without_a_current_qualification_cannot_be_assigned_or_score(server, client, tenant):
    mc = q.published(client, tenant)
    _anchors(client, tenant, mc)
    assessor = tenant.headers(Role.ASSESSOR)
    q.train(client, tenant, tenant.assessor, mc["key"])

    # Trained is enough while the issuer does not require qualification.
    first = q.submitted(server, client, tenant, mc)
    assert q.assign(client, tenant, first, tenant.assessor).status_code == 201

    _require(client, tenant)
    second = q.submitted(server, client, tenant, mc)
    problem = assert_problem(q.assign(client, tenant, second, tenant.assessor), 422, "assessor-not-qualified")
    assert mc["key"] in problem["detail"]
    # Assigned before the rule came in: still cannot score.
    assert_problem(q.assess(client, first, assessor), 422, "assessor-not-qualified")

    qualification = q.qualified(client, tenant, tenant.assessor, assessor, mc)
    assert q.assess(client, first, assessor).status_code == 201
    assert q.assign(client, tenant, second, tenant.assessor).status_code == 201

    # Revoked: neither assigned nor scoring any more.
    _revoke(client, tenant, qualification["id"])
    assert_problem(q.assess(client, second, assessor), 422, "assessor-not-qualified")
    third = q.submitted(server, client, tenant, mc)
    assert_problem(q.assign(client, tenant, third, tenant.assessor), 422, "assessor-not-qualified")
    listed = client.get(q.QUALIFICATIONS, params={"current": "false"}, headers=tenant.headers()).json()
    assert [item["id"] for item in listed["items"]] == [qualification["id"]]


def test_the_check_passes_then_reports_a_later_revocation_with_its_date(server, client, tenant):
    mc = q.published(client, tenant)
    _anchors(client, tenant, mc)
    _require(client, tenant)
    assessor = tenant.headers(Role.ASSESSOR)
    qualification = q.qualified(client, tenant, tenant.assessor, assessor, mc)
    credential = q.scored_and_awarded(server, client, tenant, mc, tenant.assessor, assessor)

    # The award cites the qualification: an Assessment evidence item and its digest.
    cited = [e for e in credential["evidence"] if e.get("id") == qualification["url"]]
    assert len(cited) == 1 and cited[0]["genre"] == "Assessment"
    assert qualification["pseudonym"] in cited[0]["description"]
    [related] = [r for r in credential["relatedResource"] if r["id"] == qualification["url"]]
    assert related["digestMultibase"] == qualification_digest(qualification["document"])

    result = q.verify(client, credential)
    assert q.check(result, "schema")["outcome"] == "passed"
    check = q.check(result, "assessor_qualification")
    assert result["verified"] is True and check["outcome"] == "passed", check
    assert "warning" not in check["message"] and not result["warnings"]
    assert check["details"]["assessed_at"] == credential["validFrom"]

    revoked = _revoke(client, tenant, qualification["id"])
    revoked_on = datetime.fromisoformat(revoked["revoked_from"]).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = q.verify(client, credential)
    check = q.check(result, "assessor_qualification")
    assert result["verified"] is True and check["outcome"] == "passed", check
    assert f"revoked on {revoked_on}, after the assessment" in check["message"]
    assert check["details"]["qualifications"][0]["revoked_from"] == revoked_on
    assert [w["code"] for w in result["warnings"]] == ["assessor_qualification"]
    assert revoked_on in result["warnings"][0]["detail"]


def test_a_credential_scored_while_the_qualification_was_already_revoked_fails(server, client, tenant):
    mc = q.published(client, tenant)
    _anchors(client, tenant, mc)
    assessor = tenant.headers(Role.ASSESSOR)
    qualification = q.qualified(client, tenant, tenant.assessor, assessor, mc)
    credential = q.scored_and_awarded(server, client, tenant, mc, tenant.assessor, assessor)
    assert q.check(q.verify(client, credential), "assessor_qualification")["outcome"] == "passed"

    # The issuer finds the assessor's scoring unreliable from the day they qualified: revoked from then on,
    # which is before this assessment.
    _revoke(client, tenant, qualification["id"], effective_from=qualification["valid_from"])
    result = q.verify(client, credential)
    check = q.check(result, "assessor_qualification")
    assert result["verified"] is False and check["outcome"] == "failed", check
    assert "before the assessment" in check["message"]
    assert any(p["code"] == "assessor_qualification" for p in result["problemDetails"])

    # A revocation cannot be dated in the future.
    later = (datetime.fromisoformat(qualification["valid_from"]) + timedelta(days=30)).isoformat()
    other = q.qualified(client, tenant, *q.assessor(server, tenant, "Fay Future"), mc)
    response = client.post(f"{q.QUALIFICATIONS}/{other['id']}/revoke", headers=tenant.headers(),
                           json={"reason": "Not yet.", "effective_from": later})
    assert_problem(response, 422, "invalid-revocation-date")


def test_the_check_fails_for_a_tampered_reference_and_is_absent_without_one(server, client, tenant):
    mc = q.published(client, tenant)
    _anchors(client, tenant, mc)
    assessor = tenant.headers(Role.ASSESSOR)
    qualification = q.qualified(client, tenant, tenant.assessor, assessor, mc)
    credential = q.scored_and_awarded(server, client, tenant, mc, tenant.assessor, assessor)
    # Another qualification's digest under this id: the reference no longer binds what was cited. (The
    # signature fails too; the qualification check says why in its own words.)
    tampered = json.loads(json.dumps(credential))
    for related in tampered["relatedResource"]:
        if related["id"] == qualification["url"]:
            related["digestMultibase"] = qualification_digest({"another": "document"})
    check = q.check(q.verify(client, tampered), "assessor_qualification")
    assert check["outcome"] == "failed" and "digest does not match" in check["message"]

    # An assessor without a qualification (the issuer does not require one): the award cites nothing, and
    # the verifier has nothing to check.
    untrained, headers = q.assessor(server, tenant, "Una Unqualified")
    q.train(client, tenant, untrained, mc["key"])
    plain = q.scored_and_awarded(server, client, tenant, mc, untrained, headers)
    assert not [e for e in plain["evidence"] if e.get("id", "").startswith(f"{server.base_url}/issuers/")]
    result = q.verify(client, plain)
    assert result["verified"] is True
    assert "assessor_qualification" not in {c["code"] for c in result["checks"]}


@SQLITE_ONLY  # checked by the Node reference or in the browser: above the database
def test_the_qualification_credential_verifies_in_the_node_reference(server, client, tenant,
                                                                     node_reference):  # noqa: F811
    mc = q.published(client, tenant)
    _anchors(client, tenant, mc)
    assessor = tenant.headers(Role.ASSESSOR)
    qualification = q.qualified(client, tenant, tenant.assessor, assessor, mc)
    credential = q.scored_and_awarded(server, client, tenant, mc, tenant.assessor, assessor)

    served = client.get(qualification["url"].removeprefix(server.base_url))
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/ld+json")
    document = json.loads(served.content)
    assert document == qualification["document"]
    # Exactly the bytes whose digest the award recorded (RFC 8785), so any verifier can check what it fetched.
    [related] = [r for r in credential["relatedResource"] if r["id"] == qualification["url"]]
    assert related["digestMultibase"] == qualification_digest(document)
    assert served.content == json.dumps(document, ensure_ascii=False, sort_keys=True,
                                        separators=(",", ":")).encode("utf-8")

    assert validate_achievement_credential(document) == []
    assert isinstance(document["credentialStatus"], dict)  # one revocation entry
    assert document["credentialStatus"]["statusPurpose"] == "revocation"
    did = document["issuer"]["id"]
    did_document = client.get(f"/issuers/{tenant.issuer.slug}/did.json").json()
    assert node_reference.verify(document, {did: did_document}) == {"verified": True, "errors": []}
    tampered = {**document, "validUntil": "2099-01-01T00:00:00Z"}
    assert node_reference.verify(tampered, {did: did_document})["verified"] is False
    # The award that cites it verifies there too (its evidence and relatedResource are plain OB/VC terms).
    assert node_reference.verify(credential, {did: did_document})["verified"] is True


def test_the_assessor_is_pseudonymous_unless_they_opt_in(server, client, tenant):
    mc = q.published(client, tenant)
    _anchors(client, tenant, mc)
    assessor = tenant.headers(Role.ASSESSOR)
    first = q.qualified(client, tenant, tenant.assessor, assessor, mc)
    credential = q.scored_and_awarded(server, client, tenant, mc, tenant.assessor, assessor)
    text = json.dumps([first["document"], credential])
    assert tenant.assessor.name not in text and tenant.assessor.email not in text
    assert str(tenant.assessor.id) not in text

    # Stable per issuer and assessor: a re-calibration gives the same pseudonym; another assessor another.
    again = q.calibrate(client, assessor, mc["key"])
    renewed = client.get(f"{q.QUALIFICATIONS}/{again['qualification_id']}", headers=assessor).json()
    assert renewed["pseudonym"] == first["pseudonym"]
    other = q.qualified(client, tenant, *q.assessor(server, tenant, "Olive Other"), mc)
    assert other["pseudonym"] != first["pseudonym"]

    # Opting in names the assessor in what is issued from now on.
    assert_problem(client.put(f"{q.QUALIFICATIONS}/name-preference", json={"name_public": True},
                              headers=tenant.headers()), 403)
    opted = client.put(f"{q.QUALIFICATIONS}/name-preference", json={"name_public": True}, headers=assessor)
    assert opted.status_code == 200 and opted.json()["name_public"] is True
    named = q.scored_and_awarded(server, client, tenant, mc, tenant.assessor, assessor)
    assert f"{tenant.assessor.name} (assessor {first['pseudonym']})" in json.dumps(named)
    named_qualification = q.calibrate(client, assessor, mc["key"])
    document = client.get(f"{q.QUALIFICATIONS}/{named_qualification['qualification_id']}",
                          headers=assessor).json()["document"]
    assert {"type": "IdentityObject", "identityHash": tenant.assessor.name, "identityType": "name",
            "hashed": False} in document["credentialSubject"]["identifier"]
