"""Two casts, built in one transaction with the factories of this package:

* :class:`Tenant` (``make_tenant``): an issuer with a full profile and one person and API key per role,
  for the award, status, verification and integration tests; :func:`passing_submissions` gives it
  submissions ready to award (micro-credential :data:`AWARDED_MICROCREDENTIAL`).
* :class:`World` (``seed_world``): an issuer with assessors trained for its published micro-credential
  (:data:`~tests.factories.catalog.MICROCREDENTIAL`), and another issuer's admin and assessor, for the
  workflow tests (catalog, submissions, assessments, access).

Objects stay usable after commit (``expire_on_commit=False``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from mcbadge.db.models import Issuer, IssuerKind, MicroCredential, Person, Role

from .catalog import LEVELS, published_microcredential
from .people import api_key, auth, make_issuer, make_person, train
from .submissions import assessed_submission

EDUCATOR_LICENSE = "LIC-77-0042"

AWARDED_MICROCREDENTIAL: dict[str, Any] = {
    "title": "Checking for Understanding",
    "competency": "The educator checks what every student understands during a lesson and adjusts instruction.",
    "key_method": "Plan hinge questions, collect a response from every student, and act on what they show.",
    "research": None,
    "resources": [],
    "requirements": [
        {"key": "lesson-plan", "title": "A lesson plan", "description": "With the planned checks marked.", "kind": "file"},
        {"key": "video", "title": "A 10-minute classroom video", "kind": "url"},
        {"key": "reflection", "title": "A reflection of 300-500 words", "kind": "reflection"},
    ],
    "rubric": {"levels": LEVELS, "criteria": [
        {"key": "varied-checks", "name": "Uses varied checks that reach every student", "required_level": "proficient"},
        {"key": "adjusts", "name": "Adjusts instruction to the evidence collected", "required_level": "proficient"},
        {"key": "reflection", "name": "Reflects on student evidence", "required_level": "developing"},
    ]},
    "alignments": [{"target_name": "InTASC Standard 6: Assessment", "target_url": "https://example.org/intasc-6",
                    "target_framework": "InTASC", "target_code": "6"}],
    "image_url": "https://example.org/badges/cfu.png",
}
"""Overrides of the catalog body for the micro-credential the award tests award: a file, a URL and a
reflection, and three criteria."""

AWARD_PASSING_SCORES = {"varied-checks": "exemplary", "adjusts": "proficient", "reflection": "proficient"}
AWARD_NOT_YET_SCORES = {**AWARD_PASSING_SCORES, "adjusts": "developing"}


@dataclass
class Tenant:
    """An issuer with one person and one API key per role."""

    issuer: Issuer
    admin: Person
    assessor: Person
    educator: Person
    integrator: Person
    keys: dict[Role, str] = field(default_factory=dict)

    def headers(self, role: Role = Role.ADMIN) -> dict[str, str]:
        return auth(self.keys[role])


def turn_suspension(client: httpx.Client, tenant: Tenant, on: bool) -> None:
    """The issuer's opt-in to suspension (``suspension_status``, off by default), over the API: credentials
    issued from then on carry a suspension entry beside the revocation one."""
    response = client.patch("/api/v1/issuer", json={"suspension_status": on}, headers=tenant.headers())
    assert response.status_code == 200 and response.json()["suspension_status"] is on, response.text


def make_tenant(sessions: sessionmaker[Session], slug: str, *, validity_days: int | None = 1095,
                second_scoring: bool = False, kind: IssuerKind = IssuerKind.DISTRICT,
                name: str | None = None) -> Tenant:
    """An issuer with a full profile, an admin, an assessor, an educator and an integrator, each with an API key."""
    with sessions() as session, session.begin():
        issuer = make_issuer(session, slug, name=name or f"{slug.replace('-', ' ').title()} Schools",
                             url=f"https://{slug}.example.org/", email=f"badges@{slug}.example.org",
                             image_url=f"https://{slug}.example.org/logo.png", validity_days=validity_days,
                             second_scoring=second_scoring, kind=kind)
        tenant = Tenant(
            issuer=issuer,
            admin=make_person(session, issuer, Role.ADMIN, "Ada Admin"),
            assessor=make_person(session, issuer, Role.ASSESSOR, "Sam Assessor"),
            educator=make_person(session, issuer, Role.EDUCATOR, "Erin Educator", license_number=EDUCATOR_LICENSE),
            integrator=make_person(session, issuer, Role.INTEGRATOR, "Ivy Integrator"),
        )
        for role, person in ((Role.ADMIN, tenant.admin), (Role.ASSESSOR, tenant.assessor),
                             (Role.EDUCATOR, tenant.educator), (Role.INTEGRATOR, tenant.integrator)):
            tenant.keys[role] = api_key(session, person)
    return tenant


def awarded_microcredential(session: Session, issuer: Issuer, *, key: str = "checking-for-understanding",
                            version: int = 1) -> MicroCredential:
    """A published :data:`AWARDED_MICROCREDENTIAL`."""
    return published_microcredential(session, issuer, key=key, version=version, **AWARDED_MICROCREDENTIAL)


def passing_submissions(sessions: sessionmaker[Session], tenant: Tenant, blob_dir: Path, count: int) -> list[uuid.UUID]:
    """``count`` passed submissions of a new :data:`AWARDED_MICROCREDENTIAL` (each by a new educator), their ids."""
    ids = []
    with sessions() as session, session.begin():
        mc = awarded_microcredential(session, tenant.issuer, key=f"mc-{uuid.uuid4().hex[:8]}")
        for n in range(count):
            educator = tenant.educator if n == 0 else make_person(session, tenant.issuer, Role.EDUCATOR,
                                                                  f"Teacher {n} {mc.key}")
            ids.append(assessed_submission(session, educator, tenant.assessor, mc, blob_dir,
                                           scores=AWARD_PASSING_SCORES, feedback={"adjusts": "Clear next steps."}).id)
    return ids


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
