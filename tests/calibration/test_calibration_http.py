"""Calibration over real HTTP (SQLite and PostgreSQL): admins keep anchors with master scores, a trained
assessor scores a calibration set, and the agreement (hand-computed below) decides the qualification; a failed
set shows the master rationale and another set follows; results are the assessor's and the admins' to read."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from mcbadge.db.models import Role
from mcbadge.vc.schema import validate_achievement_credential
from tests.assertions import assert_problem, verify_live
from tests.factories import qualifications as q
from tests.factories.people import auth

# The first set's scores, by the anchor's position (every master level is "developing", q.MASTER):
#   position  varied-checks           reflection
#   0         developing (exact)      proficient (adjacent)
#   1         proficient (adjacent)   developing (exact)
#   2         exemplary  (two apart)  developing (exact)
# varied-checks: exact 1/3, adjacent 2/3; reflection: exact 2/3, adjacent 3/3.
# Overall: exact 3/6 = 50 %, adjacent 5/6 = 83.3 % -> 83: below the default 80 % exact, not qualified.
_FIRST_SET = [
    {"varied-checks": "developing", "reflection": "proficient"},
    {"varied-checks": "proficient", "reflection": "developing"},
    {"varied-checks": "exemplary", "reflection": "developing"},
]


def _first_set(position: int, shown: dict[str, Any]) -> dict[str, str]:
    return _FIRST_SET[position]


def test_calibration_decides_qualification_from_the_scores(server, client, tenant):
    mc = q.published(client, tenant)
    anchors = [q.anchor(client, tenant, mc, f"Anchor {n}") for n in range(6)]
    assessor = tenant.headers(Role.ASSESSOR)

    # Training comes before calibration.
    refused = client.post(q.ATTEMPTS, json={"microcredential_key": mc["key"]}, headers=assessor)
    assert_problem(refused, 422, "assessor-not-trained")
    q.train(client, tenant, tenant.assessor, mc["key"])

    first = q.calibrate(client, assessor, mc["key"], _first_set)
    assert first["status"] == "not_qualified" and first["qualification_id"] is None
    agreement = first["agreement"]
    assert (agreement["pairs"], agreement["exact"], agreement["adjacent"]) == (6, 3, 5)
    assert (agreement["exact_percent"], agreement["adjacent_percent"]) == (50, 83)
    assert agreement["required_exact_percent"] == 80 and agreement["qualified"] is False
    assert [(c["criterion"], c["exact"], c["adjacent"], c["exact_percent"]) for c in agreement["criteria"]] == [
        ("varied-checks", 1, 2, 33), ("reflection", 2, 3, 66)]
    # The failed set now shows the master scores and the rationale beside the assessor's own scores.
    for position, shown in enumerate(first["anchors"]):
        assert shown["master_scores"] == q.MASTER and shown["rationale"] == q.RATIONALE
        assert shown["your_scores"] == _FIRST_SET[position]
    # No qualification: none listed.
    listed = client.get(q.QUALIFICATIONS, headers=assessor).json()
    assert listed["total"] == 0

    # Another set: the anchors not scored yet.
    second = q.calibrate(client, assessor, mc["key"])
    assert {a["id"] for a in second["anchors"]}.isdisjoint({a["id"] for a in first["anchors"]})
    assert {a["id"] for a in first["anchors"] + second["anchors"]} == {a["id"] for a in anchors}
    assert second["status"] == "qualified" and second["agreement"]["exact_percent"] == 100
    qualification = client.get(f"{q.QUALIFICATIONS}/{second['qualification_id']}", headers=assessor).json()
    assert qualification["current"] is True and qualification["url"] == second["qualification_url"]
    assert qualification["microcredential_key"] == mc["key"]

    # The qualification credential: the figures it was earned on, the issuer's validity period, verifies.
    document = qualification["document"]
    assert validate_achievement_credential(document) == []
    subject = document["credentialSubject"]
    assert [r["value"] for r in subject["result"]] == ["100", "100"]
    assert subject["achievement"]["achievementType"] == "ext:AssessorQualification"
    assert [i["identityType"] for i in subject["identifier"]] == ["ext:AssessorPseudonym"]
    report = verify_live(server, document)
    assert report.verified, report.summary
    assert qualification["valid_until"][:10] > qualification["valid_from"][:10]

    # Admins read everyone's sets; another assessor reads neither the set nor the qualification.
    assert client.get(f"{q.ATTEMPTS}/{first['id']}", headers=tenant.headers()).status_code == 200
    admin_view = client.get(q.ATTEMPTS, params={"assessor_id": str(tenant.assessor.id)}, headers=tenant.headers())
    assert admin_view.json()["total"] == 2
    _, other = q.assessor(server, tenant, "Olive Other")
    assert_problem(client.get(f"{q.ATTEMPTS}/{first['id']}", headers=other), 404, "calibration-not-found")
    assert_problem(client.get(f"{q.QUALIFICATIONS}/{second['qualification_id']}", headers=other), 404,
                   "qualification-not-found")
    assert client.get(q.QUALIFICATIONS, headers=other).json()["total"] == 0
    assert_problem(client.get(q.ATTEMPTS, headers=tenant.headers(Role.EDUCATOR)), 403)


def test_a_stricter_threshold_and_adjacent_requirement_change_the_decision(server, client, tenant):
    mc = q.published(client, tenant)
    for n in range(3):
        q.anchor(client, tenant, mc, f"Anchor {n}")
    # 50 % exact passes a 50 % threshold, but 83 % adjacent fails a 90 % adjacent one.
    changed = client.patch("/api/v1/issuer", headers=tenant.headers(),
                           json={"calibration_exact_percent": 50, "calibration_adjacent_percent": 90})
    assert changed.status_code == 200, changed.text
    q.train(client, tenant, tenant.assessor, mc["key"])
    attempt = q.calibrate(client, tenant.headers(Role.ASSESSOR), mc["key"], _first_set)
    assert attempt["status"] == "not_qualified"
    client.patch("/api/v1/issuer", headers=tenant.headers(), json={"calibration_adjacent_percent": 80})
    attempt = q.calibrate(client, tenant.headers(Role.ASSESSOR), mc["key"], _first_set)
    assert attempt["status"] == "qualified" and attempt["agreement"]["required_adjacent_percent"] == 80


def test_a_set_is_scored_once_per_anchor_against_its_rubric(server, client, tenant):
    mc = q.published(client, tenant)
    for n in range(3):
        q.anchor(client, tenant, mc, f"Anchor {n}")
    assessor = tenant.headers(Role.ASSESSOR)
    q.train(client, tenant, tenant.assessor, mc["key"])
    started = client.post(q.ATTEMPTS, json={"microcredential_key": mc["key"]}, headers=assessor)
    assert started.status_code == 201
    again = client.post(q.ATTEMPTS, json={"microcredential_key": mc["key"]}, headers=assessor)
    assert again.status_code == 200 and again.json()["id"] == started.json()["id"]  # one open set
    attempt = started.json()
    url = f"{q.ATTEMPTS}/{attempt['id']}/scores"
    first = attempt["anchors"][0]["id"]
    bad = client.post(url, headers=assessor, json={"anchor_id": first, "scores": {"varied-checks": "superb"}})
    body = assert_problem(bad, 422)
    assert "reflection" in body["detail"] and "superb" in body["detail"]
    assert client.post(url, headers=assessor, json={"anchor_id": first, "scores": q.MASTER}).status_code == 200
    assert_problem(client.post(url, headers=assessor, json={"anchor_id": first, "scores": q.MASTER}), 409,
                   "anchor-already-scored")
    other_anchor = q.anchor(client, tenant, mc, "Not in the set")["id"]
    assert_problem(client.post(url, headers=assessor, json={"anchor_id": other_anchor, "scores": q.MASTER}), 422,
                   "anchor-not-in-set")
    _, someone_else = q.assessor(server, tenant, "Olive Other")
    assert_problem(client.post(url, headers=someone_else, json={"anchor_id": first, "scores": q.MASTER}), 404)


def test_anchors_are_checked_against_their_version_and_admins_only(server, client, tenant):
    mc = q.published(client, tenant)
    body = {"microcredential_id": mc["id"], "title": "Exemplar",
            "evidence": [{"requirement": "video", "kind": "url", "url": "https://example.org/v"},
                         {"requirement": "lesson-plan", "kind": "file", "sha256": "ab" * 32}],
            "master_scores": {"varied-checks": "superb"}, "rationale": {"varied-checks": "Why."}}
    problem = assert_problem(client.post(q.ANCHORS, json=body, headers=tenant.headers()), 422, "invalid-anchor")
    assert {e.split(":")[0] for e in problem["errors"]} == {
        "evidence.0.requirement", "evidence.1.sha256", "master_scores.reflection", "master_scores.varied-checks",
        "rationale.reflection"}
    mixed = {**body, "evidence": [{"requirement": "link", "kind": "url", "text": "not a url"}]}
    assert_problem(client.post(q.ANCHORS, json=mixed, headers=tenant.headers()), 422)
    assert_problem(client.post(q.ANCHORS, json=body, headers=tenant.headers(Role.ASSESSOR)), 403)
    made = q.anchor(client, tenant, mc, "Exemplar")
    retired = client.patch(f"{q.ANCHORS}/{made['id']}", json={"active": False}, headers=tenant.headers())
    assert retired.status_code == 200 and retired.json()["active"] is False
    # Retired anchors are drawn no more: one active anchor is too few for a set of three.
    q.train(client, tenant, tenant.assessor, mc["key"])
    assert_problem(client.post(q.ATTEMPTS, json={"microcredential_key": mc["key"]},
                               headers=tenant.headers(Role.ASSESSOR)), 409, "not-enough-anchors")
    assert client.get(q.ANCHORS, params={"active": "false"}, headers=tenant.headers()).json()["total"] == 1
    assert_problem(client.get(q.ANCHORS, headers=auth("mcb_nope_nope")), 401)


def test_anchors_scored_at_once_still_decide_the_set(server, client, tenant):
    """The set's row is locked while an anchor is scored: two last anchors scored at the same moment cannot
    each miss the other's score and leave a fully scored set undecided (PostgreSQL, READ COMMITTED)."""
    mc = q.published(client, tenant)
    for n in range(8):
        q.anchor(client, tenant, mc, f"Anchor {n}")
    changed = client.patch("/api/v1/issuer", headers=tenant.headers(), json={"calibration_set_size": 8})
    assert changed.status_code == 200, changed.text
    assessor = tenant.headers(Role.ASSESSOR)
    q.train(client, tenant, tenant.assessor, mc["key"])
    attempt = client.post(q.ATTEMPTS, json={"microcredential_key": mc["key"]}, headers=assessor).json()

    def score(anchor: dict[str, Any]) -> int:
        with httpx.Client(base_url=server.base_url, trust_env=False, timeout=30) as own:
            return own.post(f"{q.ATTEMPTS}/{attempt['id']}/scores", headers=assessor,
                            json={"anchor_id": anchor["id"], "scores": q.MASTER}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(score, attempt["anchors"])) == [200] * 8
    done = client.get(f"{q.ATTEMPTS}/{attempt['id']}", headers=assessor).json()
    assert done["scored"] == 8 and done["status"] == "qualified", done["status"]
    assert client.get(q.QUALIFICATIONS, headers=assessor).json()["total"] == 1
