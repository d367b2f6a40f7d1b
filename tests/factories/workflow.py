"""Typed factories for the issuer workflow (catalog, people, submissions, assessments), straight into the DB.

Plain functions on a session (``make_issuer(session, slug=...)``); :func:`seed_world` builds the usual cast
in one transaction and returns their API keys. Objects stay usable after commit (``expire_on_commit=False``).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mcbadge.api import create_app
from mcbadge.config import Settings

from mcbadge.api.auth import issue_api_key
from mcbadge.db.models import (
    Assignment,
    AssessorTraining,
    Issuer,
    MicroCredential,
    MicroCredentialStatus,
    Person,
    Role,
    Submission,
    SubmissionStatus,
    utcnow,
)

PROBLEM_JSON = "application/problem+json"

LEVELS = [
    {"key": "not-yet", "name": "Not yet"},
    {"key": "developing", "name": "Developing"},
    {"key": "proficient", "name": "Proficient"},
    {"key": "exemplary", "name": "Exemplary"},
]

MICROCREDENTIAL: dict[str, Any] = {
    "key": "checking-for-understanding",
    "title": "Checking for Understanding",
    "competency": "Checks what every student understands during a lesson and adjusts instruction.",
    "key_method": "Hinge questions, a response from every student, re-teach or move on.",
    "research": "Black & Wiliam (1998).",
    "resources": [{"title": "Hinge questions", "url": "https://example.org/hinge"}],
    "requirements": [
        {"key": "lesson-plan", "title": "A lesson plan", "kind": "file", "required": True},
        {"key": "link", "title": "A link to a class website", "kind": "url", "required": False},
        {"key": "reflection", "title": "A reflection of 5-50 words", "kind": "reflection",
         "min_words": 5, "max_words": 50, "required": True},
    ],
    "rubric": {
        "levels": LEVELS,
        "criteria": [
            {"key": "varied-checks", "name": "Uses varied checks", "required_level": "proficient"},
            {"key": "reflection", "name": "Reflects on evidence", "required_level": "developing"},
        ],
    },
    "alignments": [{"target_name": "InTASC 6", "target_url": "https://example.org/intasc-6"}],
    "tags": ["formative assessment"],
    "pd_hours": 10.0,
}
"""A complete micro-credential body (POST /api/v1/microcredentials), also used for published factories."""

PASSING = {"varied-checks": "proficient", "reflection": "developing"}
FAILING = {"varied-checks": "developing", "reflection": "proficient"}
FAILING_FEEDBACK = {"varied-checks": "Show a check that reaches every student."}
REFLECTION = "Exit tickets showed that most students could explain equivalent fractions clearly."


def microcredential_body(**overrides: Any) -> dict[str, Any]:
    """A deep copy of :data:`MICROCREDENTIAL` with ``overrides``."""
    return copy.deepcopy(MICROCREDENTIAL) | overrides


def make_issuer(session: Session, *, slug: str | None = None, second_scoring: bool = False,
                auto_approve: bool = False) -> Issuer:
    slug = slug or f"district-{uuid.uuid4().hex[:8]}"
    issuer = Issuer(slug=slug, name=f"District {slug}", second_scoring=second_scoring, auto_approve=auto_approve)
    session.add(issuer)
    session.flush()
    return issuer


def make_person(session: Session, issuer: Issuer, role: Role, *, name: str | None = None) -> Person:
    tag = uuid.uuid4().hex[:8]
    person = Person(issuer_id=issuer.id, role=role, name=name or f"{role.value.title()} {tag}",
                    email=f"{role.value}-{tag}@example.org")
    session.add(person)
    session.flush()
    return person


def api_key(session: Session, person: Person) -> str:
    key = issue_api_key(session, issuer_id=person.issuer_id, person_id=person.id)
    session.flush()
    return key


def published_microcredential(session: Session, issuer: Issuer, *, version: int = 1, **overrides: Any) -> MicroCredential:
    mc = MicroCredential(issuer_id=issuer.id, version=version, status=MicroCredentialStatus.PUBLISHED,
                         published_at=utcnow(), **microcredential_body(**overrides))
    session.add(mc)
    session.flush()
    return mc


def draft_microcredential(session: Session, issuer: Issuer, **overrides: Any) -> MicroCredential:
    """A draft version 1 with a fresh key."""
    overrides.setdefault("key", f"draft-{uuid.uuid4().hex[:10]}")
    mc = MicroCredential(issuer_id=issuer.id, version=1, status=MicroCredentialStatus.DRAFT,
                         **microcredential_body(**overrides))
    session.add(mc)
    session.flush()
    return mc


def make_submission(session: Session, educator: Person, mc: MicroCredential, *,
                    status: SubmissionStatus = SubmissionStatus.SUBMITTED, attempt: int | None = None,
                    assessors: tuple[Person, ...] = ()) -> Submission:
    """An attempt straight in the database (no evidence), assigned to ``assessors``; it skips the API's
    one-open-attempt rule, so tests can make as many as they need (numbered after the last one)."""
    if attempt is None:
        last = session.scalar(select(func.max(Submission.attempt)).where(
            Submission.educator_id == educator.id, Submission.microcredential_id == mc.id))
        attempt = (last or 0) + 1
    sub = Submission(issuer_id=mc.issuer_id, microcredential_id=mc.id, educator_id=educator.id, attempt=attempt,
                     status=status, submitted_at=None if status is SubmissionStatus.DRAFT else utcnow())
    session.add(sub)
    session.flush()
    for assessor in assessors:
        session.add(Assignment(submission_id=sub.id, assessor_id=assessor.id))
    session.flush()
    return sub


def train(session: Session, assessor: Person, key: str, *, lead: bool = False) -> AssessorTraining:
    training = AssessorTraining(issuer_id=assessor.issuer_id, assessor_id=assessor.id, microcredential_key=key,
                                lead=lead)
    session.add(training)
    session.flush()
    return training


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@dataclass
class World:
    """One issuer's cast with their keys, a published micro-credential, and another tenant's admin."""

    issuer: Issuer
    mc: MicroCredential
    admin: Person
    assessor: Person
    second_assessor: Person
    lead: Person
    educator: Person
    other_educator: Person
    integrator: Person
    keys: dict[str, str]
    """API keys by name: admin, assessor, second_assessor, lead, educator, other_educator, integrator,
    other_admin (another issuer's admin), other_assessor (another issuer's, trained for the same key)."""

    def headers(self, name: str) -> dict[str, str]:
        return auth(self.keys[name])


def seed_world(sessions: sessionmaker[Session], *, second_scoring: bool = False, auto_approve: bool = False) -> World:
    with sessions() as session, session.begin():
        issuer = make_issuer(session, second_scoring=second_scoring, auto_approve=auto_approve)
        mc = published_microcredential(session, issuer)
        people = {
            "admin": make_person(session, issuer, Role.ADMIN),
            "assessor": make_person(session, issuer, Role.ASSESSOR),
            "second_assessor": make_person(session, issuer, Role.ASSESSOR),
            "lead": make_person(session, issuer, Role.ASSESSOR),
            "educator": make_person(session, issuer, Role.EDUCATOR),
            "other_educator": make_person(session, issuer, Role.EDUCATOR),
            "integrator": make_person(session, issuer, Role.INTEGRATOR),
        }
        for name in ("assessor", "second_assessor"):
            train(session, people[name], mc.key)
        train(session, people["lead"], mc.key, lead=True)
        keys = {name: api_key(session, person) for name, person in people.items()}
        other = make_issuer(session)
        published_microcredential(session, other)
        keys["other_admin"] = api_key(session, make_person(session, other, Role.ADMIN))
        other_assessor = make_person(session, other, Role.ASSESSOR)
        train(session, other_assessor, mc.key)
        keys["other_assessor"] = api_key(session, other_assessor)
        return World(issuer=issuer, mc=mc, keys=keys, **people)


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status`` (and type ``urn:mcbadge:problem:<code>``)."""
    assert response.status_code == status, f"{response.status_code} != {status}: {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers["content-type"]
    body = response.json()
    assert body["status"] == status and {"type", "title", "detail"} <= body.keys()
    assert "Traceback" not in response.text
    if code is not None:
        assert body["type"] == f"urn:mcbadge:problem:{code}", body
    return body


# --- the flow over HTTP -------------------------------------------------------------------------------


def start_attempt(client: httpx.Client, world: World, mc_id: uuid.UUID | str | None = None,
                  who: str = "educator") -> dict[str, Any]:
    response = client.post("/api/v1/submissions", json={"microcredential_id": str(mc_id or world.mc.id)},
                           headers=world.headers(who))
    assert response.status_code == 201, response.text
    return response.json()


def upload(client: httpx.Client, world: World, submission_id: str, content: bytes, *,
           requirement: str = "lesson-plan", media_type: str = "application/pdf", filename: str = "plan.pdf",
           who: str = "educator") -> httpx.Response:
    return client.post(f"/api/v1/submissions/{submission_id}/evidence/files", params={"requirement": requirement},
                       content=content, headers={**world.headers(who), "Content-Type": media_type,
                                                 "X-Filename": filename})


def submitted_attempt(client: httpx.Client, world: World, who: str = "educator") -> dict[str, Any]:
    """A submitted attempt of ``who`` with a file and a reflection."""
    sub = start_attempt(client, world, who=who)
    assert upload(client, world, sub["id"], b"%PDF-1.7 lesson plan " + uuid.uuid4().bytes, who=who).status_code == 201
    response = client.post(f"/api/v1/submissions/{sub['id']}/evidence",
                           json={"requirement": "reflection", "kind": "reflection", "text": REFLECTION},
                           headers=world.headers(who))
    assert response.status_code == 201, response.text
    response = client.post(f"/api/v1/submissions/{sub['id']}/submit", headers=world.headers(who))
    assert response.status_code == 200, response.text
    return response.json()


def assign(client: httpx.Client, world: World, submission_id: str, assessor: Person) -> httpx.Response:
    return client.post(f"/api/v1/submissions/{submission_id}/assignments", json={"assessor_id": str(assessor.id)},
                       headers=world.headers("admin"))


def assess(client: httpx.Client, world: World, submission_id: str, who: str, scores: dict[str, str],
           feedback: dict[str, str] | None = None) -> httpx.Response:
    return client.post(f"/api/v1/submissions/{submission_id}/assessments",
                       json={"scores": scores, "feedback": feedback or {}}, headers=world.headers(who))


@contextmanager
def live_server(settings: Settings) -> Iterator[tuple[Any, str]]:
    """``create_app(settings)`` served by uvicorn on a free loopback port; yields the app and its base URL.

    For tests that need settings the shared ``server`` fixture does not take (small upload limits) or a
    server shared by a whole module (the access matrix).
    """
    from tests.conftest import _free_socket, serve

    app = create_app(settings)
    with serve(app, _free_socket()) as base_url:
        yield app, base_url
