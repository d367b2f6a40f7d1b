"""Submissions: an educator's attempts and their evidence.

Who sees what: an educator sees their own attempts (all of them, previous ones too); an assessor sees the
attempts assigned to them; admins and integrators see every attempt of their issuer (integrators read
only). An attempt the caller may not see answers 404, like another tenant's: its existence is not told.

Attempts are numbered per educator and micro-credential *key* (across versions). A new attempt starts only
on the newest published version of the key, and only when the previous attempt ended ``not_yet`` or was
withdrawn: a draft, submitted, passed or awarded attempt blocks it (409).

Attempts build on each other: after "not yet", a new attempt may carry the previous attempt's evidence
forward (``carry_forward``): new items pointing at the same stored files (by SHA-256, nothing uploaded again),
links and reflections, each remembering the item it came from (``carried_from_id``). The educator then replaces
only what the feedback asked for. :func:`evidence_changes` shows anyone who may see the attempt what was added,
kept and removed since the previous attempt, matched by requirement, kind and digest; the digest of a kept
file is the digest the credential will carry, because the item points at the same stored bytes.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from .. import blobs
from ..catalog.service import latest_published_version
from ..db.models import (
    Assessment,
    AssessorTraining,
    Assignment,
    Credential,
    EvidenceItem,
    MicroCredential,
    MicroCredentialStatus,
    Person,
    Role,
    Submission,
    SubmissionStatus,
    utcnow,
)
from ..db.session import transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..events import outbox as events
from ..features import Page, PageParams, audit
from ..principal import Principal
from ..services import Services
from .schemas import (
    AssessmentView,
    EvidenceChange,
    EvidenceChanges,
    EvidenceCreate,
    EvidenceRead,
    PreviousAttempt,
    SubmissionCreate,
    SubmissionRead,
    SubmissionSummary,
)

OPEN_STATUSES = {SubmissionStatus.DRAFT, SubmissionStatus.SUBMITTED, SubmissionStatus.PASSED,
                 SubmissionStatus.AWARDED}
"""A previous attempt in one of these blocks a new one."""
DECIDED = {SubmissionStatus.NOT_YET, SubmissionStatus.PASSED, SubmissionStatus.AWARDED}


class UnknownSubmission(NotFound):
    """No submission with this id is visible to the caller."""

    code = "unknown-submission"


class UnknownEvidence(NotFound):
    """The submission has no evidence item with this id."""

    code = "unknown-evidence"


class UnknownMicroCredentialForSubmission(Invalid):
    """The micro-credential named in the body does not exist at the caller's issuer, or is not published."""

    code = "unknown-microcredential"


class NotLatestVersion(Conflict):
    """New attempts start on the newest published version of a micro-credential; ``latest_id`` names it."""

    code = "superseded-version"


class AttemptOpen(Conflict):
    """The educator's previous attempt at this micro-credential is still open, passed or awarded."""

    code = "attempt-open"


class NothingToCarryForward(Conflict):
    """Evidence is carried forward only from a previous attempt that ended 'not yet'."""

    code = "nothing-to-carry-forward"


class NotDraft(Conflict):
    """The submission is no longer a draft: its evidence cannot change and it cannot be submitted again."""

    code = "submission-not-draft"


class UnknownRequirement(Invalid):
    """The micro-credential version has no requirement with this key."""

    code = "unknown-requirement"


class WrongEvidenceKind(Invalid):
    """The evidence is not of the kind the requirement asks for (file, url or reflection)."""

    code = "wrong-evidence-kind"


class BadUrl(Invalid):
    """Evidence URLs must be absolute http(s) URLs."""

    code = "bad-url"


class WordCount(Invalid):
    """The reflection has fewer or more words than the requirement allows."""

    code = "word-count"


class MissingEvidence(Invalid):
    """A required requirement has no evidence yet; ``missing`` lists their keys."""

    code = "missing-evidence"


class ContentForbidden(Forbidden):
    """Evidence files are readable by the educator, the assigned assessors and admins (not integrators)."""

    code = "forbidden"


# --- loading, with the visibility rules ---------------------------------------------------------------


def load_visible(session: Session, principal: Principal, submission_id: uuid.UUID) -> Submission:
    """The submission if the caller may see it (module docstring); UnknownSubmission otherwise."""
    sub = session.get(Submission, submission_id)
    visible = sub is not None and sub.issuer_id == principal.issuer_id
    if visible and sub is not None and principal.role is Role.EDUCATOR:
        visible = sub.educator_id == principal.person_id
    elif visible and principal.role is Role.ASSESSOR:
        visible = is_assigned(session, submission_id, principal.person_id)
    if not visible:
        raise UnknownSubmission(f"no submission {submission_id}")
    assert sub is not None
    return sub


def is_assigned(session: Session, submission_id: uuid.UUID, assessor_id: uuid.UUID) -> bool:
    return session.scalar(select(Assignment.id).where(
        Assignment.submission_id == submission_id, Assignment.assessor_id == assessor_id)) is not None


def _own_draft(session: Session, principal: Principal, submission_id: uuid.UUID) -> Submission:
    sub = load_visible(session, principal, submission_id)
    if sub.educator_id != principal.person_id:
        raise UnknownSubmission(f"no submission {submission_id}")
    if sub.status is not SubmissionStatus.DRAFT:
        raise NotDraft(f"the submission is {sub.status.value}; its evidence can no longer change")
    return sub


def _requirement(mc: MicroCredential, key: str, kind: str) -> dict[str, Any]:
    for requirement in mc.requirements:
        if requirement["key"] == key:
            if requirement["kind"] != kind:
                raise WrongEvidenceKind(f"requirement {key!r} asks for a {requirement['kind']}, not a {kind}")
            return requirement
    raise UnknownRequirement(f"{mc.key!r} version {mc.version} has no requirement {key!r}",
                             requirements=[r["key"] for r in mc.requirements])


# --- views --------------------------------------------------------------------------------------------


def _summary_fields(sub: Submission, mc: MicroCredential) -> dict[str, Any]:
    return {
        "id": sub.id, "microcredential_id": mc.id, "microcredential_key": mc.key,
        "microcredential_version": mc.version, "educator_id": sub.educator_id, "attempt": sub.attempt,
        "status": sub.status, "created_at": sub.created_at, "submitted_at": sub.submitted_at,
        "decided_at": sub.decided_at, "renewal_of": sub.renewal_of,
    }


def evidence_view(item: EvidenceItem) -> EvidenceRead:
    fields: dict[str, Any] = {"id": item.id, "requirement": item.requirement_key, "kind": item.kind,
                              "created_at": item.created_at, "carried_from": item.carried_from_id}
    if item.kind == "file" and item.blob is not None:
        fields |= {"filename": item.filename, "media_type": item.blob.media_type, "size": item.blob.size,
                   "sha256": item.blob_sha256,
                   "content_url": f"/api/v1/submissions/{item.submission_id}/evidence/{item.id}/content"}
    elif item.kind == "url":
        fields["url"] = item.url
    else:
        fields["text"] = item.text
    return EvidenceRead(**fields)


def _visible_assessments(session: Session, principal: Principal, sub: Submission,
                         mc: MicroCredential) -> list[AssessmentView]:
    def view(a: Assessment, *, named: bool) -> AssessmentView:
        return AssessmentView(id=a.id, assessor_id=a.assessor_id if named else None, scores=a.scores,
                              feedback=a.feedback, passed=a.passed, lead_decision=a.lead_decision,
                              created_at=a.created_at)

    if principal.role is Role.EDUCATOR:
        # Feedback reaches the educator once the outcome stands (under second scoring, not in between).
        return [view(a, named=False) for a in sub.assessments] if sub.status in DECIDED else []
    if principal.role is Role.ASSESSOR:
        lead = session.scalar(select(AssessorTraining.lead).where(
            AssessorTraining.assessor_id == principal.person_id, AssessorTraining.microcredential_key == mc.key))
        # Scorers score independently: nobody sees another's scores while a second independent score may still
        # come (a lead-trained assessor can be the first or second scorer too). A lead assessor sees every score
        # once both independent scores are in (to settle a disagreement), or once the outcome stands.
        independent = sum(1 for a in sub.assessments if not a.lead_decision)
        lead_may_see = bool(lead) and (independent >= 2 or sub.status in DECIDED)
        return [view(a, named=True) for a in sub.assessments
                if lead_may_see or a.assessor_id == principal.person_id]
    return [view(a, named=True) for a in sub.assessments]


def _read(session: Session, principal: Principal, sub: Submission) -> SubmissionRead:
    mc = session.get(MicroCredential, sub.microcredential_id)
    assert mc is not None
    return SubmissionRead(**_summary_fields(sub, mc), evidence=[evidence_view(e) for e in sub.evidence],
                          assessments=_visible_assessments(session, principal, sub, mc))


# --- service functions --------------------------------------------------------------------------------


def create_submission(session: Session, principal: Principal, body: SubmissionCreate) -> SubmissionRead:
    """Start attempt n+1 at a micro-credential for the calling educator (a draft)."""
    with transaction(session):
        # Serialize one educator's new attempts on PostgreSQL (SQLite's BEGIN IMMEDIATE already does).
        session.get(Person, principal.person_id, with_for_update=True)
        mc = session.get(MicroCredential, body.microcredential_id)
        if mc is None or mc.issuer_id != principal.issuer_id or mc.status is not MicroCredentialStatus.PUBLISHED:
            raise UnknownMicroCredentialForSubmission(
                f"no published micro-credential {body.microcredential_id} at this issuer")
        latest = latest_published_version(session, mc.issuer_id, mc.key)
        if latest != mc.version:
            latest_id = session.scalar(select(MicroCredential.id).where(
                MicroCredential.issuer_id == mc.issuer_id, MicroCredential.key == mc.key,
                MicroCredential.version == latest))
            raise NotLatestVersion(f"version {mc.version} of {mc.key!r} was replaced by version {latest}; "
                                   f"start the attempt on {latest_id}", latest_id=str(latest_id))
        previous = session.execute(
            select(Submission.attempt, Submission.status, Submission.id)
            .join(MicroCredential, MicroCredential.id == Submission.microcredential_id)
            .where(Submission.educator_id == principal.person_id, MicroCredential.key == mc.key)
            .order_by(Submission.attempt.desc()).limit(1)
        ).first()
        renewing = _renewable(session, principal, mc, body.renewal_of) if body.renewal_of is not None else None
        # A renewal follows an awarded attempt (the credential it renews); anything else still open blocks it.
        if previous is not None and previous.status in OPEN_STATUSES and not (
                renewing is not None and previous.status is SubmissionStatus.AWARDED):
            raise AttemptOpen(f"attempt {previous.attempt} at {mc.key!r} is {previous.status.value}; a new attempt "
                              "is possible only after a 'not yet' outcome", submission_id=str(previous.id))
        if body.carry_forward and (previous is None or previous.status is not SubmissionStatus.NOT_YET):
            raise NothingToCarryForward(f"there is no previous attempt at {mc.key!r} that ended 'not yet' to carry "
                                        "evidence forward from")
        sub = Submission(issuer_id=principal.issuer_id, microcredential_id=mc.id, educator_id=principal.person_id,
                         attempt=(previous.attempt if previous else 0) + 1, status=SubmissionStatus.DRAFT,
                         renewal_of=renewing.id if renewing is not None else None)
        session.add(sub)
        try:
            session.flush()
        except IntegrityError:
            raise AttemptOpen(f"another attempt at {mc.key!r} was started at the same time") from None
        carried = {}
        if body.carry_forward:
            assert previous is not None
            carried = {"carried_forward": _carry_forward(session.get_one(Submission, previous.id), sub, mc)}
            session.flush()
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="submission.create",
              target=f"submission:{sub.id}", microcredential=str(mc.id), attempt=sub.attempt, **carried)
        return _read(session, principal, sub)


def _carry_forward(previous: Submission, sub: Submission, mc: MicroCredential) -> int:
    """Copy ``previous``'s evidence into the new draft ``sub`` where ``mc``'s requirements still take it; the count."""
    requirements = {r["key"]: r for r in mc.requirements}
    for item in previous.evidence:
        requirement = requirements.get(item.requirement_key)
        if requirement is None or requirement["kind"] != item.kind:
            continue
        if item.kind == "reflection" and (item.text is None or _word_limits(requirement, item.text) is not None):
            continue
        sub.evidence.append(EvidenceItem(
            requirement_key=item.requirement_key, kind=item.kind, blob_sha256=item.blob_sha256,
            filename=item.filename, url=item.url, text=item.text, sha256=item.sha256,
            position=len(sub.evidence), carried_from_id=item.id))
    return len(sub.evidence)
class NotRenewable(Conflict):
    """The credential cannot be renewed by this attempt: not the caller's, of another micro-credential, revoked,
    without an expiry, or renewed already."""

    code = "not-renewable"


def _renewable(session: Session, principal: Principal, mc: MicroCredential, credential_id: uuid.UUID) -> Credential:
    """The caller's credential ``credential_id`` if an attempt at ``mc`` may renew it (else NotRenewable)."""
    credential = session.get(Credential, credential_id)
    if credential is None or credential.educator_id != principal.person_id or credential.microcredential_id is None:
        raise NotRenewable(f"you hold no credential {credential_id} to renew")
    renewed_key = session.scalar(select(MicroCredential.key).where(MicroCredential.id == credential.microcredential_id))
    if renewed_key != mc.key:
        raise NotRenewable(f"credential {credential_id} is for {renewed_key!r}, not {mc.key!r}")
    if credential.revoked_at is not None:
        raise NotRenewable(f"credential {credential_id} was revoked: it cannot be renewed")
    if credential.valid_until is None:
        raise NotRenewable(f"credential {credential_id} does not expire: there is nothing to renew")
    if session.scalar(select(Credential.id).where(Credential.renewal_of == credential_id)) is not None:
        raise NotRenewable(f"credential {credential_id} was renewed already")
    return credential


def list_submissions(session: Session, principal: Principal, page: PageParams, *,
                     status: SubmissionStatus | None = None,
                     microcredential_key: str | None = None) -> Page[SubmissionSummary]:
    """The submissions the caller may see, newest first."""
    with transaction(session):
        query = (select(Submission, MicroCredential)
                 .join(MicroCredential, MicroCredential.id == Submission.microcredential_id)
                 .where(Submission.issuer_id == principal.issuer_id))
        if principal.role is Role.EDUCATOR:
            query = query.where(Submission.educator_id == principal.person_id)
        elif principal.role is Role.ASSESSOR:
            query = query.where(Submission.id.in_(
                select(Assignment.submission_id).where(Assignment.assessor_id == principal.person_id)))
        if status is not None:
            query = query.where(Submission.status == status)
        if microcredential_key is not None:
            query = query.where(MicroCredential.key == microcredential_key)
        query = query.order_by(Submission.created_at.desc(), Submission.id)
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        rows = session.execute(query.limit(page.limit).offset(page.offset)).all()
        items = [SubmissionSummary(**_summary_fields(sub, mc)) for sub, mc in rows]
        return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def get_submission(session: Session, principal: Principal, submission_id: uuid.UUID) -> SubmissionRead:
    """One submission with its evidence and the assessments the caller may see."""
    with transaction(session):
        return _read(session, principal, load_visible(session, principal, submission_id))


def _count_words(text: str) -> int:
    return len(text.split())


def _word_limits(requirement: dict[str, Any], text: str) -> WordCount | None:
    """The problem with a reflection's length for ``requirement``, or None when it fits."""
    words = _count_words(text)
    low, high = requirement.get("min_words"), requirement.get("max_words")
    if (low is not None and words < low) or (high is not None and words > high):
        bounds = f"{low if low is not None else 0}–{high if high is not None else '∞'}"
        return WordCount(f"the reflection has {words} words; {requirement['key']!r} asks for {bounds}",
                         words=words, min_words=low, max_words=high)
    return None


def add_evidence(session: Session, principal: Principal, submission_id: uuid.UUID,
                 body: EvidenceCreate) -> EvidenceRead:
    """Add a URL or a reflection to a draft submission."""
    with transaction(session):
        sub = _own_draft(session, principal, submission_id)
        mc = session.get(MicroCredential, sub.microcredential_id)
        assert mc is not None
        requirement = _requirement(mc, body.requirement, body.kind)
        item = EvidenceItem(submission_id=sub.id, requirement_key=body.requirement, kind=body.kind,
                            position=len(sub.evidence))
        if body.kind == "url":
            assert body.url is not None
            parts = urlsplit(body.url)
            if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in body.url):
                raise BadUrl(f"{body.url[:200]!r} is not an absolute http(s) URL")
            item.url = body.url
        else:
            assert body.text is not None
            problem = _word_limits(requirement, body.text)
            if problem is not None:
                raise problem
            item.text = body.text
        sub.evidence.append(item)
        session.flush()
        return evidence_view(item)


def _check_can_upload(session: Session, principal: Principal, submission_id: uuid.UUID, requirement: str) -> None:
    with transaction(session):
        sub = _own_draft(session, principal, submission_id)
        mc = session.get(MicroCredential, sub.microcredential_id)
        assert mc is not None
        _requirement(mc, requirement, "file")


def _record_file(session: Session, principal: Principal, submission_id: uuid.UUID, requirement: str,
                 stored: blobs.StoredFile, filename: str | None) -> EvidenceRead:
    with transaction(session):
        sub = _own_draft(session, principal, submission_id)  # checked again: the upload took time
        blob = blobs.record_blob(session, stored)
        item = EvidenceItem(submission_id=sub.id, requirement_key=requirement, kind="file",
                            blob_sha256=blob.sha256, filename=filename, position=len(sub.evidence))
        sub.evidence.append(item)
        session.flush()
        return evidence_view(item)


async def upload_file_evidence(session: Session, principal: Principal, services: Services,
                               submission_id: uuid.UUID, requirement: str, chunks: AsyncIterator[bytes],
                               content_type: str | None, filename: str | None) -> EvidenceRead:
    """Stream a file into the blob store and add it as evidence for ``requirement`` of a draft submission.

    Permissions and the requirement are checked before any byte is stored.
    """
    media_type = blobs.media_type_of(content_type)
    await run_in_threadpool(_check_can_upload, session, principal, submission_id, requirement)
    stored = await blobs.store_stream(services.blob_dir, chunks, media_type=media_type,
                                      max_bytes=services.settings.max_upload_bytes)
    return await run_in_threadpool(_record_file, session, principal, submission_id, requirement, stored,
                                   blobs.clean_filename(filename))


def delete_evidence(session: Session, principal: Principal, submission_id: uuid.UUID, evidence_id: uuid.UUID) -> None:
    """Remove an evidence item from a draft submission (the stored file stays: other items may share it)."""
    with transaction(session):
        sub = _own_draft(session, principal, submission_id)
        item = next((e for e in sub.evidence if e.id == evidence_id), None)
        if item is None:
            raise UnknownEvidence(f"no evidence {evidence_id} in this submission")
        sub.evidence.remove(item)


@dataclass(frozen=True)
class EvidenceContent:
    path: Path
    media_type: str
    filename: str | None
    sha256: str


def evidence_content(session: Session, principal: Principal, services: Services, submission_id: uuid.UUID,
                     evidence_id: uuid.UUID) -> EvidenceContent:
    """The stored bytes of a file evidence item (for the educator, assigned assessors and admins)."""
    with transaction(session):
        sub = load_visible(session, principal, submission_id)
        if principal.role is Role.INTEGRATOR:
            raise ContentForbidden("integrators read submissions but not the evidence files themselves")
        item = next((e for e in sub.evidence if e.id == evidence_id and e.kind == "file"), None)
        if item is None or item.blob is None:
            raise UnknownEvidence(f"no file evidence {evidence_id} in this submission")
        path = blobs.existing_blob_path(services.blob_dir, item.blob.sha256)
        return EvidenceContent(path=path, media_type=item.blob.media_type, filename=item.filename,
                               sha256=item.blob.sha256)


def submit(session: Session, principal: Principal, submission_id: uuid.UUID) -> SubmissionRead:
    """Hand a draft in for assessment once every required requirement has evidence."""
    with transaction(session):
        sub = _own_draft(session, principal, submission_id)
        mc = session.get(MicroCredential, sub.microcredential_id)
        assert mc is not None
        answered = {e.requirement_key for e in sub.evidence}
        missing = [r["key"] for r in mc.requirements if r.get("required", True) and r["key"] not in answered]
        if missing:
            raise MissingEvidence(f"evidence is still missing for: {', '.join(missing)}", missing=missing)
        sub.status = SubmissionStatus.SUBMITTED
        sub.submitted_at = utcnow()
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="submission.submit",
              target=f"submission:{sub.id}", attempt=sub.attempt, evidence=len(sub.evidence))
        events.emit(session, issuer_id=sub.issuer_id, type=events.EventType.SUBMITTED,
                    ordering_key=f"submission:{sub.id}", data=events.submission_data(session, sub))
        return _read(session, principal, sub)


# --- what changed since the previous attempt ------------------------------------------------------------


def evidence_digest(item: EvidenceItem) -> str:
    """SHA-256 (hex) that identifies an item across attempts: a file's bytes (the credential's digest), a
    reflection's UTF-8 text, a link's URL as written."""
    if item.kind == "file":
        digest = item.blob_sha256 or item.sha256
    elif item.kind == "reflection" and item.text is not None:
        digest = hashlib.sha256(item.text.encode("utf-8")).hexdigest()
    elif item.kind == "url" and item.url is not None:
        digest = hashlib.sha256(item.url.encode("utf-8")).hexdigest()
    else:
        digest = item.sha256
    assert digest is not None, f"evidence item {item.id} has nothing to digest"
    return digest


def _previous_attempt(session: Session, sub: Submission) -> Submission | None:
    key = select(MicroCredential.key).where(MicroCredential.id == sub.microcredential_id).scalar_subquery()
    return session.scalars(
        select(Submission).join(MicroCredential, MicroCredential.id == Submission.microcredential_id)
        .where(Submission.educator_id == sub.educator_id, MicroCredential.key == key,
               Submission.attempt < sub.attempt)
        .order_by(Submission.attempt.desc()).limit(1)).first()


def _change(item: EvidenceItem, *, current: EvidenceItem | None, previous: EvidenceItem | None) -> EvidenceChange:
    return EvidenceChange(requirement=item.requirement_key, kind=item.kind,  # type: ignore[arg-type]  # file|url|reflection
                          sha256=evidence_digest(item), evidence_id=current.id if current else None,
                          previous_evidence_id=previous.id if previous else None, filename=item.filename,
                          carried_forward=current is not None and previous is not None
                          and current.carried_from_id == previous.id)


def evidence_changes(session: Session, principal: Principal, submission_id: uuid.UUID) -> EvidenceChanges:
    """An attempt's evidence against the educator's previous attempt at the same micro-credential key: added,
    kept and removed items, matched by requirement, kind and digest (a carried item with its origin first)."""
    with transaction(session):
        sub = load_visible(session, principal, submission_id)
        prev = _previous_attempt(session, sub)
        pool: dict[tuple[str, str, str], list[EvidenceItem]] = defaultdict(list)
        for old in prev.evidence if prev else []:
            pool[(old.requirement_key, old.kind, evidence_digest(old))].append(old)
        added, kept = [], []
        for item in sub.evidence:
            candidates = pool[(item.requirement_key, item.kind, evidence_digest(item))]
            match = next((c for c in candidates if c.id == item.carried_from_id), candidates[0] if candidates else None)
            if match is None:
                added.append(_change(item, current=item, previous=None))
            else:
                candidates.remove(match)
                kept.append(_change(item, current=item, previous=match))
        removed = [_change(old, current=None, previous=old) for olds in pool.values() for old in olds]
        previous = None
        if prev is not None:
            feedback: dict[str, list[str]] = defaultdict(list)
            for assessment in prev.assessments:
                for criterion, text in assessment.feedback.items():
                    feedback[criterion].append(text)
            previous = PreviousAttempt(submission_id=prev.id, attempt=prev.attempt, status=prev.status,
                                       decided_at=prev.decided_at, feedback=dict(feedback))
        return EvidenceChanges(submission_id=sub.id, attempt=sub.attempt, previous=previous, added=added, kept=kept,
                               removed=removed)
