"""Per-criterion double scoring over HTTP (issue 12 part 3): the seeded sample, the borderline rule, independent
scoring, agreement per criterion, the lead's decision, and what the credential reports.

The rubric of the world (tests/factories/catalog.py): levels not-yet < developing < proficient < exemplary;
"varied-checks" requires proficient, "reflection" requires developing.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

import httpx

from mcbadge.assessments import scoring
from mcbadge.db.models import Issuer

from tests.assertions import assert_problem
from tests.factories.catalog import FAILING, FAILING_FEEDBACK, MICROCREDENTIAL, PASSING
from tests.factories.submissions import assess, assign, submitted_attempt
from tests.factories.tenants import World, seed_world
from tests.live_server import LiveServer

SUB = "/api/v1/submissions"
POLICIES = "/api/v1/scoring-policies"
CLEAR_PASS = {"varied-checks": "exemplary", "reflection": "exemplary"}
"""Two levels above what "varied-checks" needs and two above "reflection": no criterion is borderline."""


def _scoring(client: httpx.Client, world: World, sub_id: str) -> dict:
    response = client.get(f"{SUB}/{sub_id}/scoring", headers=world.headers("admin"))
    assert response.status_code == 200, response.text
    return response.json()


def _by_criterion(view: dict) -> dict[str, dict]:
    return {c["criterion"]: c for c in view["criteria"]}


def test_the_rules_on_the_rubric() -> None:
    """The pure rules, on hand-worked cases of the world's rubric (no server)."""
    rubric = MICROCREDENTIAL["rubric"]
    # Borderline: at the required level, or one below it.
    assert scoring.borderline_criteria(rubric, {"varied-checks": "proficient", "reflection": "exemplary"}) == ["varied-checks"]
    assert scoring.borderline_criteria(rubric, {"varied-checks": "developing", "reflection": "not-yet"}) == [
        "varied-checks", "reflection"]
    assert scoring.borderline_criteria(rubric, CLEAR_PASS) == []
    assert scoring.borderline_criteria(rubric, {"varied-checks": "not-yet", "reflection": "exemplary"}) == []
    # Agreement per criterion: same level; adjacent on the same side (the lower decides); else disputed.
    compared = {c.criterion: (c.agreement, c.deciding) for c in scoring.compare(
        rubric, {"varied-checks": "exemplary", "reflection": "developing"},
        {"varied-checks": "proficient", "reflection": "developing"})}
    assert compared == {"varied-checks": ("adjacent", "proficient"), "reflection": ("agreed", "developing")}
    compared = {c.criterion: (c.agreement, c.deciding) for c in scoring.compare(
        rubric, {"varied-checks": "proficient", "reflection": "not-yet"},
        {"varied-checks": "developing", "reflection": "proficient"})}
    # One level apart across the required level; two levels apart.
    assert compared == {"varied-checks": ("disputed", None), "reflection": ("disputed", None)}
    # The seeded draw: the documented HMAC, and a rate it honours.
    seed = bytes(range(32))
    some = uuid.UUID("12345678-1234-5678-1234-567812345678")
    expected = int.from_bytes(hmac.new(seed, some.bytes, hashlib.sha256).digest()[:8], "big") % 10_000
    assert scoring.sampling_draw(seed, some) == expected
    draws = [scoring.sampling_draw(seed, uuid.UUID(int=n)) for n in range(5000)]
    assert 425 <= sum(scoring.sampled(d, 10) for d in draws) <= 575  # 10 % of 5000, within ~5 sigma
    assert not any(scoring.sampled(d, 0) for d in draws) and all(scoring.sampled(d, 100) for d in draws)


def test_a_sampled_submission_is_scored_twice_independently_and_the_credential_reports_the_deciding_scores(
        server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    admin = world.headers("admin")
    # The policy API: per micro-credential key, checked.
    assert_problem(client.put(f"{POLICIES}/no-such-key", json={"second_scoring_percent": 10,
                                                               "second_score_borderline": False}, headers=admin),
                   422, "unknown-microcredential")
    assert client.put(f"{POLICIES}/{world.mc.key}", json={"second_scoring_percent": 101,
                                                          "second_score_borderline": False},
                      headers=admin).status_code == 422
    assert client.put(f"{POLICIES}/{world.mc.key}", json={"second_scoring_percent": 100,
                                                          "second_score_borderline": False},
                      headers=world.headers("assessor")).status_code == 403
    put = client.put(f"{POLICIES}/{world.mc.key}", json={"second_scoring_percent": 100,
                                                         "second_score_borderline": False}, headers=admin)
    assert put.status_code == 200, put.text
    policies = client.get(POLICIES, headers=admin).json()
    assert [p["second_scoring_percent"] for p in policies["policies"]] == [100]
    assert policies["every_submission"] is False and policies["default_second_scoring_percent"] == 0

    sub = submitted_attempt(client, world)
    # The second scorer is lead-trained: independence holds for them too.
    for who in (world.assessor, world.lead):
        assert assign(client, world, sub["id"], who).status_code == 201
    first = assess(client, world, sub["id"], "assessor", {"varied-checks": "exemplary", "reflection": "proficient"})
    assert first.json()["submission_status"] == "submitted", first.text
    view = _scoring(client, world, sub["id"])
    assert (view["stage"], view["double_scored"], view["reason"], view["sampling_percent"]) == (
        "second_score", True, "sampled", 100)
    # Auditable: the draw is what anyone given the seed recomputes from the submission's id.
    seed = bytes.fromhex(policies["sampling_seed"])
    digest = hmac.new(seed, uuid.UUID(sub["id"]).bytes, hashlib.sha256).digest()
    assert view["sampling_draw"] == int.from_bytes(digest[:8], "big") % 10_000
    # The second scorer sees no other score before submitting their own.
    assert client.get(f"{SUB}/{sub['id']}", headers=world.headers("lead")).json()["assessments"] == []
    second = assess(client, world, sub["id"], "lead", {"varied-checks": "proficient", "reflection": "proficient"})
    assert (second.json()["lead_decision"], second.json()["submission_status"]) == (False, "passed"), second.text

    criteria = _by_criterion(_scoring(client, world, sub["id"]))
    assert {k: (c["first"], c["second"], c["agreement"], c["deciding"], c["source"]) for k, c in criteria.items()} == {
        "varied-checks": ("exemplary", "proficient", "adjacent", "proficient", "adjacent"),
        "reflection": ("proficient", "proficient", "agreed", "proficient", "agreed"),
    }

    award = client.post(f"{SUB}/{sub['id']}/award", headers=admin)
    assert award.status_code == 201, award.text
    document = award.json()["credential"]
    achieved = {r["resultDescription"].rsplit("#", 1)[1]: r["achievedLevel"].rsplit("-", 1)[1]
                for r in document["credentialSubject"]["result"]}
    assert achieved == {"varied-checks": "proficient", "reflection": "proficient"}  # the lower of exemplary/proficient
    [assessment] = [e for e in document["evidence"] if e.get("name", "").startswith("Rubric assessment")]
    assert assessment["genre"] == "Assessment" and assessment["name"] == "Rubric assessment (double-scored)"
    assert "chosen at random" in assessment["narrative"] and "agreed on 2 of 2 criteria" in assessment["narrative"]

    # Back to the issuer's defaults (none): the next first score decides alone, no draw taken.
    assert client.delete(f"{POLICIES}/{world.mc.key}", headers=admin).status_code == 204
    assert_problem(client.delete(f"{POLICIES}/{world.mc.key}", headers=admin), 404, "unknown-scoring-policy")


def test_a_borderline_submission_goes_to_a_lead_when_the_scorers_disagree(server: LiveServer,
                                                                          client: httpx.Client) -> None:
    sessions = server.app.state.services.sessions
    world = seed_world(sessions)
    admin = world.headers("admin")
    patched = client.patch("/api/v1/issuer", json={"second_score_borderline": True}, headers=admin)
    assert patched.status_code == 200 and patched.json()["second_score_borderline"] is True, patched.text

    clear = submitted_attempt(client, world)
    assign(client, world, clear["id"], world.assessor)
    assert assess(client, world, clear["id"], "assessor", CLEAR_PASS).json()["submission_status"] == "passed"
    view = _scoring(client, world, clear["id"])
    assert (view["stage"], view["double_scored"], view["reason"], view["sampling_draw"]) == ("decided", False, None, None)
    assert {c["source"] for c in view["criteria"]} == {"single"}

    borderline = submitted_attempt(client, world, who="other_educator")
    assign(client, world, borderline["id"], world.assessor)
    assert assess(client, world, borderline["id"], "assessor", PASSING).json()["submission_status"] == "submitted"
    assert _scoring(client, world, borderline["id"])["reason"] == "borderline"
    # The second assignment still follows the rules: never the submitter, and a current qualification when required.
    assert_problem(assign(client, world, borderline["id"], world.other_educator), 422, "assessor-is-submitter")
    with sessions() as s, s.begin():
        s.get_one(Issuer, world.issuer.id).require_qualification = True
    assert_problem(assign(client, world, borderline["id"], world.second_assessor), 422, "assessor-not-qualified")
    with sessions() as s, s.begin():
        s.get_one(Issuer, world.issuer.id).require_qualification = False
    for who in (world.second_assessor, world.lead):
        assert assign(client, world, borderline["id"], who).status_code == 201
    # The lead sees nothing while a second independent score is due.
    assert client.get(f"{SUB}/{borderline['id']}", headers=world.headers("lead")).json()["assessments"] == []
    disputed = assess(client, world, borderline["id"], "second_assessor", FAILING, FAILING_FEEDBACK)
    assert disputed.json()["submission_status"] == "submitted"
    view = _scoring(client, world, borderline["id"])
    assert view["stage"] == "lead_decision"
    assert {k: c["agreement"] for k, c in _by_criterion(view).items()} == {"varied-checks": "disputed",
                                                                         "reflection": "adjacent"}
    assert len(client.get(f"{SUB}/{borderline['id']}", headers=world.headers("lead")).json()["assessments"]) == 2
    decision = assess(client, world, borderline["id"], "lead", {"varied-checks": "proficient", "reflection": "proficient"})
    assert (decision.json()["lead_decision"], decision.json()["submission_status"]) == (True, "passed"), decision.text
    view = _scoring(client, world, borderline["id"])
    assert {k: (c["lead"], c["deciding"], c["source"]) for k, c in _by_criterion(view).items()} == {
        "varied-checks": ("proficient", "proficient", "lead"), "reflection": ("proficient", "proficient", "lead")}

    document = client.post(f"{SUB}/{borderline['id']}/award", headers=admin).json()["credential"]
    [assessment] = [e for e in document["evidence"] if e.get("name", "").startswith("Rubric assessment")]
    assert "(a borderline score)" in assessment["narrative"] and "a lead assessor" in assessment["narrative"]
