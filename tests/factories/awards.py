"""Typed factories for the award tests: an issuer with people and API keys, a micro-credential with a
four-level rubric, and a submission that has passed its assessment, with a file, a URL and a reflection.

Rows go in through the ORM; evidence files are written to the content-addressed layout of
``mcbadge.blobs`` (``<blob_dir>/<aa>/<bb>/<sha256>``) with their ``Blob`` row.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from mcbadge.api.auth import issue_api_key
from mcbadge.db.models import (
    Assessment,
    Blob,
    EvidenceItem,
    Issuer,
    MicroCredential,
    MicroCredentialStatus,
    Person,
    Role,
    Submission,
    SubmissionStatus,
)

LEVELS = [
    {"key": "not-yet", "name": "Not yet", "description": "The evidence does not yet show the practice."},
    {"key": "developing", "name": "Developing"},
    {"key": "proficient", "name": "Proficient", "description": "Consistent and effective."},
    {"key": "exemplary", "name": "Exemplary"},
]
CRITERIA = [
    {"key": "varied-checks", "name": "Uses varied checks that reach every student", "required_level": "proficient"},
    {"key": "adjusts", "name": "Adjusts instruction to the evidence collected", "required_level": "proficient"},
    {"key": "reflection", "name": "Reflects on student evidence", "required_level": "developing"},
]
PASSING_SCORES = {"varied-checks": "exemplary", "adjusts": "proficient", "reflection": "proficient"}
LESSON_PLAN = b"%PDF-1.4\n% stand-in for a lesson plan with hinge questions marked\n"
REFLECTION = "The exit tickets showed that 18 of 24 students could place 3/4 on the number line."
EDUCATOR_LICENSE = "LIC-77-0042"


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
        return {"Authorization": f"Bearer {self.keys[role]}"}


def make_issuer(session: Session, slug: str, *, validity_days: int | None = 1095,
                second_scoring: bool = False) -> Issuer:
    issuer = Issuer(slug=slug, name=f"{slug.replace('-', ' ').title()} Schools", url=f"https://{slug}.example.org/",
                    email=f"badges@{slug}.example.org", image_url=f"https://{slug}.example.org/logo.png",
                    validity_days=validity_days, second_scoring=second_scoring)
    session.add(issuer)
    session.flush()
    return issuer


def make_person(session: Session, issuer: Issuer, role: Role, name: str, *, license_number: str | None = None) -> Person:
    email = f"{name.lower().replace(' ', '.')}@{issuer.slug}.example.org"
    person = Person(issuer_id=issuer.id, role=role, name=name, email=email, license_number=license_number)
    session.add(person)
    session.flush()
    return person


def make_tenant(sessions: sessionmaker[Session], slug: str, **issuer_options: object) -> Tenant:
    """An issuer, an admin, an assessor, an educator and an integrator, each with an API key."""
    with sessions() as session, session.begin():
        issuer = make_issuer(session, slug, **issuer_options)  # type: ignore[arg-type]
        tenant = Tenant(
            issuer=issuer,
            admin=make_person(session, issuer, Role.ADMIN, "Ada Admin"),
            assessor=make_person(session, issuer, Role.ASSESSOR, "Sam Assessor"),
            educator=make_person(session, issuer, Role.EDUCATOR, "Erin Educator", license_number=EDUCATOR_LICENSE),
            integrator=make_person(session, issuer, Role.INTEGRATOR, "Ivy Integrator"),
        )
        for role, person in ((Role.ADMIN, tenant.admin), (Role.ASSESSOR, tenant.assessor),
                             (Role.EDUCATOR, tenant.educator), (Role.INTEGRATOR, tenant.integrator)):
            tenant.keys[role] = issue_api_key(session, issuer_id=issuer.id, person_id=person.id)
    return tenant


def make_microcredential(session: Session, issuer: Issuer, *, key: str = "checking-for-understanding",
                         version: int = 1) -> MicroCredential:
    mc = MicroCredential(
        issuer_id=issuer.id, key=key, version=version, status=MicroCredentialStatus.PUBLISHED,
        title="Checking for Understanding",
        competency="The educator checks what every student understands during a lesson and adjusts instruction.",
        key_method="Plan hinge questions, collect a response from every student, and act on what they show.",
        requirements=[
            {"key": "lesson-plan", "title": "A lesson plan", "description": "With the planned checks marked.", "kind": "file"},
            {"key": "video", "title": "A 10-minute classroom video", "kind": "url"},
            {"key": "reflection", "title": "A reflection of 300-500 words", "kind": "reflection"},
        ],
        rubric={"levels": LEVELS, "criteria": CRITERIA},
        alignments=[{"target_name": "InTASC Standard 6: Assessment", "target_url": "https://example.org/intasc-6",
                     "target_framework": "InTASC", "target_code": "6"}],
        tags=["formative assessment"],
        image_url="https://example.org/badges/cfu.png",
        pd_hours=10.0,
    )
    session.add(mc)
    session.flush()
    return mc


def store_blob(session: Session, blob_dir: Path, data: bytes, media_type: str) -> str:
    """The bytes in the content-addressed store, with their Blob row; returns the SHA-256 (hex)."""
    sha = hashlib.sha256(data).hexdigest()
    path = Path(blob_dir) / sha[:2] / sha[2:4] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    if session.get(Blob, sha) is None:
        session.add(Blob(sha256=sha, size=len(data), media_type=media_type))
        session.flush()
    return sha


def make_submission(
    session: Session,
    tenant: Tenant,
    mc: MicroCredential,
    blob_dir: Path,
    *,
    scores: dict[str, str] | None = None,
    status: SubmissionStatus = SubmissionStatus.PASSED,
    attempt: int = 1,
    educator: Person | None = None,
) -> Submission:
    """A submission with a file, a URL and a reflection, and a passing assessment (unless ``status`` says
    otherwise)."""
    educator = educator or tenant.educator
    submission = Submission(issuer_id=tenant.issuer.id, microcredential_id=mc.id, educator_id=educator.id,
                            attempt=attempt, status=status)
    session.add(submission)
    session.flush()
    sha = store_blob(session, blob_dir, LESSON_PLAN, "application/pdf")
    session.add_all([
        EvidenceItem(submission_id=submission.id, requirement_key="lesson-plan", position=0, kind="file",
                     blob_sha256=sha, filename="lesson-plan.pdf"),
        EvidenceItem(submission_id=submission.id, requirement_key="video", position=1, kind="url",
                     url="https://video.example.org/lesson/123"),
        EvidenceItem(submission_id=submission.id, requirement_key="reflection", position=2, kind="reflection",
                     text=REFLECTION),
    ])
    if status in (SubmissionStatus.PASSED, SubmissionStatus.NOT_YET):
        passed = status is SubmissionStatus.PASSED
        session.add(Assessment(submission_id=submission.id, assessor_id=tenant.assessor.id,
                               scores=scores or (PASSING_SCORES if passed else {**PASSING_SCORES, "adjusts": "developing"}),
                               feedback={"adjusts": "Clear next steps."}, passed=passed))
    session.flush()
    return submission


def passing_submissions(sessions: sessionmaker[Session], tenant: Tenant, blob_dir: Path, count: int,
                        **options: object) -> list[uuid.UUID]:
    """``count`` passing submissions of one micro-credential (each by a new educator), their ids."""
    ids = []
    with sessions() as session, session.begin():
        mc = make_microcredential(session, tenant.issuer, key=f"mc-{uuid.uuid4().hex[:8]}")
        for n in range(count):
            educator = tenant.educator if n == 0 else make_person(session, tenant.issuer, Role.EDUCATOR, f"Teacher {n} {mc.key}")
            ids.append(make_submission(session, tenant, mc, blob_dir, educator=educator, **options).id)  # type: ignore[arg-type]
    return ids
