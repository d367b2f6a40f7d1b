"""Who may call what: a table of role × endpoint → status, over real HTTP, for the issuer-workflow API.

Rules the table shows: no key → 401; a role that may not call the endpoint → 403 (checked before the
object is looked up, so it tells nothing about the object); another tenant's object → 404, never 403;
objects of the caller's issuer that the caller may not see (another educator's attempt, an attempt not
assigned to the assessor) → 404 as well. Every refusal is an RFC 9457 problem. Each call gets fresh
objects, so a successful call by one role never changes what the next role sees.

The second half: bad input on every endpoint (malformed JSON, wrong types, unknown fields, unknown ids,
wrong states) is a problem+json 4xx, never a 500.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from mcbadge.db.models import Role, SubmissionStatus

from tests.live_server import make_settings
from tests.assertions import assert_problem
from tests.factories.catalog import PASSING, draft_microcredential, microcredential_body, published_microcredential
from tests.factories.people import make_person
from tests.factories.submissions import REFLECTION, make_submission, upload
from tests.factories.tenants import World, seed_world
from tests.live_server import live_server

ROLES = ("admin", "assessor", "educator", "integrator", "other_admin", "none")


@dataclass
class Env:
    client: httpx.Client
    sessions: sessionmaker[Session]
    world: World
    file_submission: str
    file_evidence: str

    def db(self) -> Session:
        return self.sessions()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    settings = make_settings(tmp_path_factory.mktemp("matrix"))
    with live_server(settings) as (app, base_url), httpx.Client(base_url=base_url, trust_env=False, timeout=30) as client:
        sessions = app.state.services.sessions
        world = seed_world(sessions)
        with sessions() as s, s.begin():
            sub = make_submission(s, world.educator, world.mc, status=SubmissionStatus.DRAFT,
                                  assessors=())
        response = upload(client, world, str(sub.id), b"%PDF-1.7 matrix")
        assert response.status_code == 201, response.text
        with sessions() as s, s.begin():
            from mcbadge.db.models import Assignment, Submission

            row = s.get(Submission, sub.id)
            assert row is not None
            row.status = SubmissionStatus.SUBMITTED
            s.add(Assignment(submission_id=sub.id, assessor_id=world.assessor.id))
        yield Env(client, sessions, world, str(sub.id), response.json()["id"])


Call = tuple[str, str, dict[str, Any]]


def _fresh(env: Env, make: Callable[[Session, World], Any]) -> Any:
    with env.sessions() as s, s.begin():
        return make(s, env.world)


def _draft_mc(env: Env) -> str:
    return str(_fresh(env, lambda s, w: draft_microcredential(s, w.issuer)).id)


def _published_mc(env: Env) -> str:
    return str(_fresh(env, lambda s, w: published_microcredential(s, w.issuer, key=f"k-{uuid.uuid4().hex[:10]}")).id)


def _submission(env: Env, status: SubmissionStatus, assigned: bool = False) -> str:
    return str(_fresh(env, lambda s, w: make_submission(
        s, w.educator, w.mc, status=status, assessors=(w.assessor,) if assigned else ())).id)


def _assessor(env: Env) -> str:
    return str(_fresh(env, lambda s, w: make_person(s, w.issuer, Role.ASSESSOR)).id)


def _evidence(env: Env) -> tuple[str, str]:
    sub = _submission(env, SubmissionStatus.DRAFT)
    response = env.client.post(f"/api/v1/submissions/{sub}/evidence", headers=env.world.headers("educator"),
                               json={"requirement": "link", "kind": "url", "url": "https://example.org/x"})
    assert response.status_code == 201, response.text
    return sub, response.json()["id"]


def _delete_evidence(env: Env) -> Call:
    sub, evidence = _evidence(env)
    return "DELETE", f"/api/v1/submissions/{sub}/evidence/{evidence}", {}


MC = "/api/v1/microcredentials"
SUB = "/api/v1/submissions"

# endpoint name → (how to make the call, expected status for admin, assessor, educator, integrator,
# another tenant's admin, no key)
MATRIX: dict[str, tuple[Callable[[Env], Call], tuple[int, int, int, int, int, int]]] = {
    "create microcredential": (lambda e: ("POST", MC, {"json": microcredential_body(key=f"k-{uuid.uuid4().hex[:10]}")}),
                               (201, 403, 403, 403, 201, 401)),
    "list microcredentials": (lambda e: ("GET", MC, {}), (200, 200, 200, 200, 200, 401)),
    "get published microcredential": (lambda e: ("GET", f"{MC}/{e.world.mc.id}", {}), (200, 200, 200, 200, 404, 401)),
    "get draft microcredential": (lambda e: ("GET", f"{MC}/{_draft_mc(e)}", {}), (200, 200, 404, 200, 404, 401)),
    "edit draft": (lambda e: ("PATCH", f"{MC}/{_draft_mc(e)}", {"json": {"title": "Renamed"}}),
                   (200, 403, 403, 403, 404, 401)),
    "publish draft": (lambda e: ("POST", f"{MC}/{_draft_mc(e)}/publish", {}), (200, 403, 403, 403, 404, 401)),
    "new version": (lambda e: ("POST", f"{MC}/{_published_mc(e)}/versions", {"json": {"title": "v2"}}),
                    (201, 403, 403, 403, 404, 401)),
    "create person": (lambda e: ("POST", "/api/v1/people", {"json": {
        "name": "New Teacher", "email": f"{uuid.uuid4().hex[:8]}@example.org", "role": "educator"}}),
        (201, 403, 403, 403, 201, 401)),
    "list people": (lambda e: ("GET", "/api/v1/people", {}), (200, 403, 403, 403, 200, 401)),
    "get person": (lambda e: ("GET", f"/api/v1/people/{e.world.educator.id}", {}), (200, 403, 403, 403, 404, 401)),
    "issue api key": (lambda e: ("POST", f"/api/v1/people/{e.world.integrator.id}/api-keys", {"json": {"name": "lms"}}),
                      (201, 403, 403, 403, 404, 401)),
    "train assessor": (lambda e: ("POST", f"/api/v1/people/{_assessor(e)}/trainings",
                                  {"json": {"microcredential_key": e.world.mc.key}}), (201, 403, 403, 403, 404, 401)),
    "start attempt": (lambda e: ("POST", SUB, {"json": {"microcredential_id": _published_mc(e)}}),
                      (403, 403, 201, 403, 403, 401)),
    "list submissions": (lambda e: ("GET", SUB, {}), (200, 200, 200, 200, 200, 401)),
    "get submission": (lambda e: ("GET", f"{SUB}/{e.file_submission}", {}), (200, 200, 200, 200, 404, 401)),
    "add url/reflection": (lambda e: ("POST", f"{SUB}/{_submission(e, SubmissionStatus.DRAFT)}/evidence",
                                      {"json": {"requirement": "reflection", "kind": "reflection", "text": REFLECTION}}),
                           (403, 403, 201, 403, 403, 401)),
    "upload file": (lambda e: ("POST", f"{SUB}/{_submission(e, SubmissionStatus.DRAFT)}/evidence/files",
                               {"params": {"requirement": "lesson-plan"}, "content": b"%PDF-1.7 x",
                                "headers": {"Content-Type": "application/pdf"}}), (403, 403, 201, 403, 403, 401)),
    "delete evidence": (_delete_evidence, (403, 403, 204, 403, 403, 401)),
    "read evidence file": (lambda e: ("GET", f"{SUB}/{e.file_submission}/evidence/{e.file_evidence}/content", {}),
                           (200, 200, 200, 403, 404, 401)),
    "submit": (lambda e: ("POST", f"{SUB}/{_submission_with_evidence(e)}/submit", {}), (403, 403, 200, 403, 403, 401)),
    "assign assessor": (lambda e: ("POST", f"{SUB}/{_submission(e, SubmissionStatus.SUBMITTED)}/assignments",
                                   {"json": {"assessor_id": str(e.world.assessor.id)}}), (201, 403, 403, 403, 404, 401)),
    "assess": (lambda e: ("POST", f"{SUB}/{_submission(e, SubmissionStatus.SUBMITTED, assigned=True)}/assessments",
                          {"json": {"scores": PASSING}}), (403, 201, 403, 403, 403, 401)),
    # Another tenant's admin names this issuer's micro-credential in the body: 422, like any unknown reference.
    "create anchor": (lambda e: ("POST", CAL + "/anchors", {"json": _anchor_body(e)}), (201, 403, 403, 403, 422, 401)),
    "list anchors": (lambda e: ("GET", CAL + "/anchors", {}), (200, 403, 403, 403, 200, 401)),
    "list calibration sets": (lambda e: ("GET", CAL + "/attempts", {}), (200, 200, 403, 403, 200, 401)),
    "list qualifications": (lambda e: ("GET", "/api/v1/qualifications", {}), (200, 200, 403, 403, 200, 401)),
    "name preference": (lambda e: ("PUT", "/api/v1/qualifications/name-preference", {"json": {"name_public": False}}),
                        (403, 200, 403, 403, 403, 401)),
}

CAL = "/api/v1/calibration"


def _anchor_body(env: Env) -> dict[str, Any]:
    return {"microcredential_id": str(env.world.mc.id), "title": "Exemplar",
            "evidence": [{"requirement": "link", "kind": "url", "url": "https://example.org/exemplar"}],
            "master_scores": PASSING, "rationale": {k: "Because." for k in PASSING}}


def _submission_with_evidence(env: Env) -> str:
    sub = _submission(env, SubmissionStatus.DRAFT)
    h = env.world.headers("educator")
    assert upload(env.client, env.world, sub, b"%PDF-1.7 " + uuid.uuid4().bytes).status_code == 201
    response = env.client.post(f"{SUB}/{sub}/evidence", headers=h,
                               json={"requirement": "reflection", "kind": "reflection", "text": REFLECTION})
    assert response.status_code == 201, response.text
    return sub


CASES = [(endpoint, role, expected[i]) for endpoint, (_, expected) in MATRIX.items() for i, role in enumerate(ROLES)]


@pytest.mark.parametrize(("endpoint", "role", "expected"), CASES, ids=[f"{e}-{r}" for e, r, _ in CASES])
def test_access(env: Env, endpoint: str, role: str, expected: int) -> None:
    method, url, kwargs = MATRIX[endpoint][0](env)
    headers = {**kwargs.pop("headers", {}), **(env.world.headers(role) if role != "none" else {})}
    response = env.client.request(method, url, headers=headers, **kwargs)
    if expected >= 400:
        assert_problem(response, expected)
    else:
        assert response.status_code == expected, response.text


def test_another_tenants_assessor_cannot_score(env: Env) -> None:
    sub = _submission(env, SubmissionStatus.SUBMITTED, assigned=True)
    response = env.client.post(f"{SUB}/{sub}/assessments", json={"scores": PASSING},
                               headers=env.world.headers("other_assessor"))
    assert_problem(response, 404)


def test_an_educator_cannot_see_another_educators_attempt(env: Env) -> None:
    for path in (f"{SUB}/{env.file_submission}", f"{SUB}/{env.file_submission}/evidence/{env.file_evidence}/content"):
        assert_problem(env.client.get(path, headers=env.world.headers("other_educator")), 404)
    listed = env.client.get(SUB, headers=env.world.headers("other_educator")).json()
    assert listed["total"] == 0 and listed["items"] == []


def test_an_unassigned_assessor_sees_nothing(env: Env) -> None:
    h = env.world.headers("second_assessor")
    assert_problem(env.client.get(f"{SUB}/{env.file_submission}", headers=h), 404)
    assert_problem(env.client.get(f"{SUB}/{env.file_submission}/evidence/{env.file_evidence}/content", headers=h), 404)
    assert env.client.get(SUB, headers=h).json()["total"] == 0


def test_a_revoked_or_garbage_key_is_401(env: Env) -> None:
    for value in ("Bearer nonsense", "Bearer mcb_abc_def", "Basic Zm9vOmJhcg=="):
        assert_problem(env.client.get(MC, headers={"Authorization": value}), 401)


# --- bad input: a problem+json 4xx on every endpoint ----------------------------------------------------

UNKNOWN = "00000000-0000-4000-8000-000000000000"
MALFORMED = b'{"title": '


def _bad_inputs(env: Env) -> list[tuple[str, str, str, dict[str, Any], int]]:
    w = env.world
    draft = _draft_mc(env)
    published = str(w.mc.id)
    draft_sub = _submission(env, SubmissionStatus.DRAFT)
    submitted_sub = _submission(env, SubmissionStatus.SUBMITTED, assigned=True)
    json_ = {"Content-Type": "application/json"}
    return [
        # (who, method, url, request kwargs, expected status)
        ("admin", "POST", MC, {"content": MALFORMED, "headers": json_}, 400),
        ("admin", "POST", MC, {"json": microcredential_body(surprise=True)}, 422),
        ("admin", "POST", MC, {"json": microcredential_body(pd_hours="ten")}, 422),
        ("admin", "POST", MC, {"json": microcredential_body(key="Not A Slug")}, 422),
        ("admin", "POST", MC, {"json": [1, 2]}, 422),
        ("admin", "POST", MC, {"json": microcredential_body(key=w.mc.key)}, 409),
        ("admin", "GET", MC, {"params": {"limit": 0}}, 422),
        ("admin", "GET", MC, {"params": {"limit": "many"}}, 422),
        ("admin", "GET", MC, {"params": {"offset": -1}}, 422),
        ("admin", "GET", MC, {"params": {"status": "shiny"}}, 422),
        ("admin", "GET", f"{MC}/{UNKNOWN}", {}, 404),
        ("admin", "GET", f"{MC}/not-a-uuid", {}, 422),
        ("admin", "PATCH", f"{MC}/{draft}", {"content": MALFORMED, "headers": json_}, 400),
        ("admin", "PATCH", f"{MC}/{draft}", {"json": {"key": "new-key"}}, 422),
        ("admin", "PATCH", f"{MC}/{draft}", {"json": {"title": None}}, 422),
        ("admin", "PATCH", f"{MC}/{draft}", {"json": {"rubric": {"levels": "four"}}}, 422),
        ("admin", "PATCH", f"{MC}/{UNKNOWN}", {"json": {"title": "x"}}, 404),
        ("admin", "PATCH", f"{MC}/{published}", {"json": {"title": "x"}}, 409),
        ("admin", "POST", f"{MC}/{published}/publish", {}, 409),
        ("admin", "POST", f"{MC}/{UNKNOWN}/publish", {}, 404),
        ("admin", "POST", f"{MC}/{draft}/versions", {"json": {}}, 409),
        ("admin", "POST", f"{MC}/{published}/versions", {"json": {"requirements": []}}, 422),
        ("admin", "POST", f"{MC}/{published}/versions", {"json": {"tags": "x"}}, 422),
        ("admin", "POST", "/api/v1/people", {"json": {"name": "X", "email": "not-an-email", "role": "educator"}}, 422),
        ("admin", "POST", "/api/v1/people", {"json": {"name": "X", "email": "x@example.org", "role": "king"}}, 422),
        ("admin", "POST", "/api/v1/people", {"content": MALFORMED, "headers": json_}, 400),
        ("admin", "GET", f"/api/v1/people/{UNKNOWN}", {}, 404),
        ("admin", "POST", f"/api/v1/people/{UNKNOWN}/api-keys", {}, 404),
        ("admin", "POST", f"/api/v1/people/{w.educator.id}/api-keys", {"json": {"name": 5}}, 422),
        ("admin", "POST", f"/api/v1/people/{w.educator.id}/trainings", {"json": {"microcredential_key": w.mc.key}}, 422),
        ("admin", "POST", f"/api/v1/people/{w.assessor.id}/trainings", {"json": {"microcredential_key": "nope"}}, 422),
        ("admin", "POST", f"/api/v1/people/{w.assessor.id}/trainings", {"json": {"microcredential_key": w.mc.key, "x": 1}}, 422),
        ("educator", "POST", SUB, {"json": {"microcredential_id": UNKNOWN}}, 422),
        ("educator", "POST", SUB, {"json": {"microcredential_id": draft}}, 422),
        ("educator", "POST", SUB, {"json": {"microcredential_id": 12}}, 422),
        ("educator", "POST", SUB, {"content": MALFORMED, "headers": json_}, 400),
        ("educator", "GET", SUB, {"params": {"status": "great"}}, 422),
        ("educator", "GET", f"{SUB}/{UNKNOWN}", {}, 404),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence", {"json": {"requirement": "link", "kind": "url", "url": "ftp://x.org/a"}}, 422),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence", {"json": {"requirement": "link", "kind": "url"}}, 422),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence", {"json": {"requirement": "link", "kind": "file"}}, 422),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence", {"json": {"requirement": "nope", "kind": "url", "url": "https://x.org"}}, 422),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence", {"json": {"requirement": "reflection", "kind": "reflection", "text": "too short"}}, 422),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence", {"json": {"requirement": "lesson-plan", "kind": "url", "url": "https://x.org"}}, 422),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence", {"content": MALFORMED, "headers": json_}, 400),
        ("educator", "POST", f"{SUB}/{UNKNOWN}/evidence", {"json": {"requirement": "link", "kind": "url", "url": "https://x.org"}}, 404),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence/files", {"params": {"requirement": "lesson-plan"}, "content": b"not a pdf", "headers": {"Content-Type": "application/pdf"}}, 422),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence/files", {"params": {"requirement": "lesson-plan"}, "content": b"bytes"}, 422),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence/files", {"params": {"requirement": "lesson-plan"}, "content": b"x", "headers": {"Content-Type": "multipart/form-data; boundary=x"}}, 422),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence/files", {"params": {"requirement": "lesson-plan"}, "content": b"", "headers": {"Content-Type": "text/plain"}}, 422),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence/files", {"content": b"x", "headers": {"Content-Type": "text/plain"}}, 422),
        ("educator", "POST", f"{SUB}/{draft_sub}/evidence/files", {"params": {"requirement": "reflection"}, "content": b"x", "headers": {"Content-Type": "text/plain"}}, 422),
        ("educator", "POST", f"{SUB}/{UNKNOWN}/evidence/files", {"params": {"requirement": "lesson-plan"}, "content": b"x", "headers": {"Content-Type": "text/plain"}}, 404),
        ("educator", "POST", f"{SUB}/{submitted_sub}/evidence/files", {"params": {"requirement": "lesson-plan"}, "content": b"x", "headers": {"Content-Type": "text/plain"}}, 409),
        ("educator", "DELETE", f"{SUB}/{draft_sub}/evidence/{UNKNOWN}", {}, 404),
        ("educator", "GET", f"{SUB}/{draft_sub}/evidence/{UNKNOWN}/content", {}, 404),
        ("educator", "POST", f"{SUB}/{draft_sub}/submit", {}, 422),
        ("educator", "POST", f"{SUB}/{submitted_sub}/submit", {}, 409),
        ("educator", "POST", f"{SUB}/{UNKNOWN}/submit", {}, 404),
        ("admin", "POST", f"{SUB}/{submitted_sub}/assignments", {"json": {"assessor_id": "nope"}}, 422),
        ("admin", "POST", f"{SUB}/{submitted_sub}/assignments", {"json": {"assessor_id": UNKNOWN}}, 422),
        ("admin", "POST", f"{SUB}/{submitted_sub}/assignments", {"json": {"assessor_id": str(w.assessor.id)}}, 409),
        ("admin", "POST", f"{SUB}/{draft_sub}/assignments", {"json": {"assessor_id": str(w.assessor.id)}}, 409),
        ("admin", "POST", f"{SUB}/{UNKNOWN}/assignments", {"json": {"assessor_id": str(w.assessor.id)}}, 404),
        ("admin", "POST", f"{SUB}/{submitted_sub}/assignments", {"content": MALFORMED, "headers": json_}, 400),
        ("assessor", "POST", f"{SUB}/{submitted_sub}/assessments", {"json": {"scores": {"varied-checks": "proficient"}}}, 422),
        ("assessor", "POST", f"{SUB}/{submitted_sub}/assessments", {"json": {"scores": {**PASSING, "extra": "proficient"}}}, 422),
        ("assessor", "POST", f"{SUB}/{submitted_sub}/assessments", {"json": {"scores": {**PASSING, "reflection": "superb"}}}, 422),
        ("assessor", "POST", f"{SUB}/{submitted_sub}/assessments", {"json": {"scores": "all good"}}, 422),
        ("assessor", "POST", f"{SUB}/{submitted_sub}/assessments", {"json": {"scores": PASSING, "grade": "A"}}, 422),
        ("assessor", "POST", f"{SUB}/{submitted_sub}/assessments", {"content": MALFORMED, "headers": json_}, 400),
        ("assessor", "POST", f"{SUB}/{UNKNOWN}/assessments", {"json": {"scores": PASSING}}, 404),
        ("assessor", "POST", f"{SUB}/{draft_sub}/assessments", {"json": {"scores": PASSING}}, 404),
        ("admin", "POST", CAL + "/anchors", {"json": {**_anchor_body(env), "master_scores": {"x": "y"}}}, 422),
        ("admin", "POST", CAL + "/anchors", {"json": {**_anchor_body(env), "evidence": []}}, 422),
        ("admin", "POST", CAL + "/anchors", {"json": {**_anchor_body(env), "microcredential_id": UNKNOWN}}, 422),
        ("admin", "POST", CAL + "/anchors", {"content": MALFORMED, "headers": json_}, 400),
        ("admin", "GET", f"{CAL}/anchors/{UNKNOWN}", {}, 404),
        ("admin", "PATCH", f"{CAL}/anchors/{UNKNOWN}", {"json": {"active": False}}, 404),
        ("assessor", "POST", CAL + "/attempts", {"json": {"microcredential_key": "not-trained-for"}}, 422),
        ("assessor", "POST", CAL + "/attempts", {"json": {"microcredential_key": w.mc.key}}, 409),
        ("assessor", "POST", CAL + "/attempts", {"json": {"microcredential_key": "Not A Key"}}, 422),
        ("assessor", "GET", f"{CAL}/attempts/{UNKNOWN}", {}, 404),
        ("assessor", "POST", f"{CAL}/attempts/{UNKNOWN}/scores", {"json": {"anchor_id": UNKNOWN, "scores": PASSING}}, 404),
        ("admin", "GET", f"/api/v1/qualifications/{UNKNOWN}", {}, 404),
        ("admin", "POST", f"/api/v1/qualifications/{UNKNOWN}/revoke", {"json": {"reason": "x"}}, 404),
        ("admin", "POST", f"/api/v1/qualifications/{UNKNOWN}/revoke", {"json": {}}, 422),
        ("admin", "GET", f"/issuers/{w.issuer.slug}/qualifications/{UNKNOWN}", {}, 404),
    ]


def test_bad_input_is_a_problem_never_a_500(env: Env) -> None:
    failures = []
    for who, method, url, kwargs, expected in _bad_inputs(env):
        kwargs = dict(kwargs)
        headers = {**kwargs.pop("headers", {}), **env.world.headers(who)}
        response = env.client.request(method, url, headers=headers, **kwargs)
        try:
            assert_problem(response, expected)
        except AssertionError as exc:
            failures.append(f"{who} {method} {url} {kwargs}: {exc}")
    assert not failures, "\n".join(failures)
