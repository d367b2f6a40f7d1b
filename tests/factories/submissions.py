"""Submissions: rows straight in the database (with evidence files in the blob store and an assessment),
and the educator's and assessor's steps over HTTP."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mcbadge.db.models import (
    Assessment,
    Assignment,
    Blob,
    EvidenceItem,
    MicroCredential,
    Person,
    Submission,
    SubmissionStatus,
    utcnow,
)

if TYPE_CHECKING:
    from .tenants import World

LESSON_PLAN = b"%PDF-1.4\n% stand-in for a lesson plan with hinge questions marked\n"
REFLECTION = "The exit tickets showed that 18 of 24 students could place 3/4 on the number line."


# --- rows -----------------------------------------------------------------------------------------------


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


def store_blob(session: Session, blob_dir: Path, data: bytes, media_type: str) -> str:
    """The bytes in the content-addressed store (``<blob_dir>/<aa>/<bb>/<sha256>``, as ``mcbadge.blobs``
    lays it out), with their Blob row; returns the SHA-256 (hex)."""
    sha = hashlib.sha256(data).hexdigest()
    path = Path(blob_dir) / sha[:2] / sha[2:4] / sha
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)
    if session.get(Blob, sha) is None:
        session.add(Blob(sha256=sha, size=len(data), media_type=media_type))
        session.flush()
    return sha


def assessed_submission(session: Session, educator: Person, assessor: Person, mc: MicroCredential,
                        blob_dir: Path, *, scores: dict[str, str], status: SubmissionStatus = SubmissionStatus.PASSED,
                        attempt: int = 1, feedback: dict[str, str] | None = None) -> Submission:
    """A submission with a file (:data:`LESSON_PLAN`), a URL and a reflection (:data:`REFLECTION`), and
    ``assessor``'s assessment with ``scores`` when ``status`` is passed or not-yet."""
    submission = make_submission(session, educator, mc, status=status, attempt=attempt)
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
        session.add(Assessment(submission_id=submission.id, assessor_id=assessor.id, scores=scores,
                               feedback=feedback or {}, passed=status is SubmissionStatus.PASSED))
    session.flush()
    return submission


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
