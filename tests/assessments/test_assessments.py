"""Assessment over HTTP: assignment rules, rubric scoring, the assessor-is-submitter rule, second scoring.

Design decision tested here: a person has one role, and only educators start attempts, so an assessor
cannot submit through the API. The rule "never the submitter" is still explicit (person ids compared,
before anything else) because roles change: an educator who earned micro-credentials and later became an
assessor keeps their attempts, and must never score them.
"""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy import select

from mcbadge.db.models import AuditEvent, Issuer, Person, Role

from tests.live_server import LiveServer
from tests.assertions import assert_problem
from tests.factories.catalog import FAILING, FAILING_FEEDBACK, PASSING
from tests.factories.people import api_key, make_person, train
from tests.factories.submissions import assess, assign, submitted_attempt
from tests.factories.tenants import seed_world

SUB = "/api/v1/submissions"


def test_assignment_rules(server: LiveServer, client: httpx.Client) -> None:
    sessions = server.app.state.services.sessions
    world = seed_world(sessions)
    sub = submitted_attempt(client, world)
    with sessions() as s, s.begin():
        untrained = make_person(s, s.get(Issuer, world.issuer.id), Role.ASSESSOR)
    assert_problem(assign(client, world, sub["id"], untrained), 422, "assessor-not-trained")
    assert_problem(assign(client, world, sub["id"], world.other_educator), 422, "not-an-assessor")
    assert_problem(assign(client, world, sub["id"], world.educator), 422, "assessor-is-submitter")
    response = assign(client, world, sub["id"], world.assessor)
    assert response.status_code == 201, response.text
    assert response.json()["assessor_id"] == str(world.assessor.id)
    assert_problem(assign(client, world, sub["id"], world.assessor), 409, "already-assigned")


def test_scores_must_fit_the_rubric(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions)
    sub = submitted_attempt(client, world)
    # Not assigned: the submission is invisible to this assessor.
    assert_problem(assess(client, world, sub["id"], "assessor", PASSING), 404)
    assign(client, world, sub["id"], world.assessor)
    problem = assert_problem(assess(client, world, sub["id"], "assessor", FAILING), 422, "invalid-scores")
    assert problem["errors"] == ["feedback.varied-checks: below the required level (proficient); say what the evidence needs"]
    problem = assert_problem(assess(client, world, sub["id"], "assessor", {"varied-checks": "great"},
                                    {"nope": "x"}), 422, "invalid-scores")
    assert len(problem["errors"]) == 3  # unknown level, missing criterion, feedback for an unknown criterion


def test_not_yet_then_feedback_then_pass_on_the_next_attempt(server: LiveServer, client: httpx.Client) -> None:
    sessions = server.app.state.services.sessions
    world = seed_world(sessions)
    sub = submitted_attempt(client, world)
    assign(client, world, sub["id"], world.assessor)
    response = assess(client, world, sub["id"], "assessor", FAILING, FAILING_FEEDBACK)
    assert response.status_code == 201, response.text
    assert (response.json()["passed"], response.json()["submission_status"]) == (False, "not_yet")
    assert_problem(assess(client, world, sub["id"], "assessor", PASSING), 409, "not-awaiting-assessment")

    seen = client.get(f"{SUB}/{sub['id']}", headers=world.headers("educator")).json()
    assert seen["status"] == "not_yet" and seen["decided_at"]
    assert seen["assessments"][0]["feedback"] == FAILING_FEEDBACK

    again = submitted_attempt(client, world)
    assert again["attempt"] == 2
    assign(client, world, again["id"], world.assessor)
    passed = assess(client, world, again["id"], "assessor", {"varied-checks": "exemplary", "reflection": "developing"})
    assert (passed.json()["passed"], passed.json()["submission_status"]) == (True, "passed")

    # Every attempt and every score is kept.
    admin_view = [client.get(f"{SUB}/{s}", headers=world.headers("admin")).json() for s in (sub["id"], again["id"])]
    assert [v["assessments"][0]["passed"] for v in admin_view] == [False, True]
    with sessions() as s:
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.target == f"submission:{again['id']}")).all()
    assert actions == ["submission.create", "submission.submit", "submission.assign", "submission.assess",
                       "submission.decide"]


def test_an_assessor_never_scores_their_own_submission(server: LiveServer, client: httpx.Client) -> None:
    sessions = server.app.state.services.sessions
    world = seed_world(sessions)
    sub = submitted_attempt(client, world)
    # The educator becomes an assessor, trained for this very micro-credential.
    with sessions() as s, s.begin():
        person = s.get(Person, world.educator.id)
        assert person is not None
        person.role = Role.ASSESSOR
        train(s, person, world.mc.key, lead=True)
        world.keys["promoted"] = api_key(s, person)
    assert_problem(assign(client, world, sub["id"], world.educator), 422, "assessor-is-submitter")
    assert_problem(assess(client, world, sub["id"], "promoted", PASSING), 403, "self-assessment")
    # Even an assignment written around the API does not let them score it.
    from mcbadge.db.models import Assignment

    with sessions() as s, s.begin():
        s.add(Assignment(submission_id=uuid.UUID(sub["id"]), assessor_id=world.educator.id))
    assert_problem(assess(client, world, sub["id"], "promoted", PASSING), 403, "self-assessment")


def test_second_scoring_agreement_decides(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions, second_scoring=True)
    sub = submitted_attempt(client, world)
    for who in (world.assessor, world.second_assessor):
        assign(client, world, sub["id"], who)
    assert assess(client, world, sub["id"], "assessor", PASSING).json()["submission_status"] == "submitted"
    # No feedback for the educator while the outcome does not stand.
    assert client.get(f"{SUB}/{sub['id']}", headers=world.headers("educator")).json()["assessments"] == []
    # The second assessor does not see the first one's scores (independent scoring).
    assert client.get(f"{SUB}/{sub['id']}", headers=world.headers("second_assessor")).json()["assessments"] == []
    final = assess(client, world, sub["id"], "second_assessor", {"varied-checks": "exemplary", "reflection": "proficient"})
    assert final.json()["submission_status"] == "passed"
    assert len(client.get(f"{SUB}/{sub['id']}", headers=world.headers("educator")).json()["assessments"]) == 2


def test_second_scoring_disagreement_goes_to_a_lead(server: LiveServer, client: httpx.Client) -> None:
    sessions = server.app.state.services.sessions
    world = seed_world(sessions, second_scoring=True)
    sub = submitted_attempt(client, world)
    with sessions() as s, s.begin():
        third = make_person(s, s.get(Issuer, world.issuer.id), Role.ASSESSOR)
        train(s, third, world.mc.key)
        world.keys["third"] = api_key(s, third)
    for who in (world.assessor, world.second_assessor, third, world.lead):
        assert assign(client, world, sub["id"], who).status_code == 201
    assess(client, world, sub["id"], "assessor", PASSING)
    disagree = assess(client, world, sub["id"], "second_assessor", FAILING, FAILING_FEEDBACK)
    assert disagree.json()["submission_status"] == "submitted"
    assert_problem(assess(client, world, sub["id"], "third", PASSING), 409, "lead-required")
    # The lead sees both scores before deciding.
    assert len(client.get(f"{SUB}/{sub['id']}", headers=world.headers("lead")).json()["assessments"]) == 2
    decision = assess(client, world, sub["id"], "lead", FAILING, FAILING_FEEDBACK)
    assert decision.status_code == 201, decision.text
    assert decision.json()["lead_decision"] is True and decision.json()["submission_status"] == "not_yet"
    assert len(client.get(f"{SUB}/{sub['id']}", headers=world.headers("admin")).json()["assessments"]) == 3


def test_auto_approve_awards_a_pass(server: LiveServer, client: httpx.Client) -> None:
    world = seed_world(server.app.state.services.sessions, auto_approve=True)
    sub = submitted_attempt(client, world)
    assign(client, world, sub["id"], world.assessor)
    response = assess(client, world, sub["id"], "assessor", PASSING)
    assert response.status_code == 201, response.text
    try:
        import mcbadge.credentials.service  # noqa: F401
    except ImportError:  # the award feature is not in this tree yet: the pass waits for an admin
        expected = "passed"
    else:
        expected = "awarded"
    assert response.json()["submission_status"] == expected
    assert client.get(f"{SUB}/{sub['id']}", headers=world.headers("admin")).json()["status"] == expected
