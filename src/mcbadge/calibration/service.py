"""Calibration: anchors with master scores, calibration sets, and the qualification they decide.

* **Anchors** (admins): exemplar evidence of a published micro-credential version with the master level for
  every rubric criterion and the rationale for each. Retired anchors (``active`` false) are drawn no more.
* **A calibration set** (an assessor trained for the key, ``people`` trainings): ``issuer.calibration_set_size``
  active anchors of the key drawn at random, anchors the assessor has not scored before first. One set is
  open per assessor and key; starting again returns it. The assessor scores each anchor (every criterion, a
  level of that anchor's rubric); master scores stay hidden until the set is complete.
* **The decision**, when the last anchor is scored: agreement with the master scores (``agreement``: exact
  and within one level, per criterion and overall) against the issuer's thresholds (default 80 % exact).
  Qualified: a qualification credential is issued in the same transaction (``qualifications.issue``), valid
  for the issuer's ``qualification_validity_days``; the assessor re-calibrates with a new set to renew it.
  Not qualified: the set shows the master scores and rationale, and the assessor may start another set.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..assessments.service import NotTrained, level_errors
from ..db.models import (
    AssessorTraining,
    Blob,
    CalibrationAnchor,
    CalibrationAttempt,
    CalibrationScore,
    CalibrationStatus,
    Issuer,
    MicroCredential,
    MicroCredentialStatus,
    Person,
    Role,
    utcnow,
)
from ..db.session import read, transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..features import Page, PageParams, audit, paginate
from ..principal import Principal
from ..qualifications import service as qualifications
from ..services import Services
from .agreement import Agreement, ScoredAnchor, agreement, percent
from .schemas import (
    AgreementRead,
    AnchorCreate,
    AnchorRead,
    AnchorUpdate,
    AttemptAnchor,
    AttemptCreate,
    AttemptRead,
    CalibrationScoreCreate,
    CriterionAgreementRead,
)

__all__ = [
    "AnchorAlreadyScored",
    "AnchorNotFound",
    "AnchorNotInSet",
    "AttemptNotFound",
    "CalibrationComplete",
    "InvalidAnchor",
    "NotEnoughAnchors",
    "create_anchor",
    "get_anchor",
    "get_attempt",
    "list_anchors",
    "list_attempts",
    "score_anchor",
    "start_attempt",
    "update_anchor",
]

_random = random.SystemRandom()


class InvalidAnchor(Invalid):
    """The anchor does not fit its micro-credential version (scores, rationale, requirements or files)."""

    code = "invalid-anchor"


class AnchorNotFound(NotFound):
    """No such anchor at the caller's issuer."""

    code = "anchor-not-found"


class NotEnoughAnchors(Conflict):
    """The issuer has fewer active anchors for this micro-credential than a calibration set needs."""

    code = "not-enough-anchors"


class AttemptNotFound(NotFound):
    """No such calibration set for this caller (another assessor's, or another issuer's)."""

    code = "calibration-not-found"


class CalibrationComplete(Conflict):
    """The calibration set is complete: start another set to calibrate again."""

    code = "calibration-complete"


class AnchorNotInSet(Invalid):
    """The anchor is not one of this calibration set's."""

    code = "anchor-not-in-set"


class AnchorAlreadyScored(Conflict):
    """This anchor of the set was already scored (scores are kept, never replaced)."""

    code = "anchor-already-scored"


# -- anchors (admins) ----------------------------------------------------------------------------------------


def _anchor_read(anchor: CalibrationAnchor, version: int) -> AnchorRead:
    return AnchorRead(id=anchor.id, microcredential_id=anchor.microcredential_id,
                      microcredential_key=anchor.microcredential_key, version=version, title=anchor.title,
                      evidence=list(anchor.evidence), master_scores=dict(anchor.master_scores),
                      rationale=dict(anchor.rationale), active=anchor.active, created_at=anchor.created_at)


def _anchor_errors(session: Session, mc: MicroCredential, body: AnchorCreate) -> list[str]:
    errors = level_errors(mc.rubric, body.master_scores, field="master_scores")
    criteria = [c["key"] for c in mc.rubric.get("criteria", [])]
    errors += [f"rationale.{key}: the rubric has no criterion {key!r}" for key in body.rationale.keys() - set(criteria)]
    errors += [f"rationale.{key}: say why the master level" for key in criteria if not body.rationale.get(key, "").strip()]
    requirements = {r["key"] for r in mc.requirements}
    for i, item in enumerate(body.evidence):
        if item.requirement not in requirements:
            errors.append(f"evidence.{i}.requirement: version {mc.version} has no requirement {item.requirement!r}")
        if item.sha256 is not None and session.get(Blob, item.sha256) is None:
            errors.append(f"evidence.{i}.sha256: no stored file has this digest")
    return sorted(errors)


def create_anchor(session: Session, principal: Principal, body: AnchorCreate) -> AnchorRead:
    """Add an anchor for a published version of one of the issuer's micro-credentials (admins)."""
    with transaction(session):
        mc = session.get(MicroCredential, body.microcredential_id)
        if mc is None or mc.issuer_id != principal.issuer_id or mc.status is MicroCredentialStatus.DRAFT:
            raise InvalidAnchor(f"no published micro-credential {body.microcredential_id} at this issuer")
        errors = _anchor_errors(session, mc, body)
        if errors:
            raise InvalidAnchor("the anchor does not fit its micro-credential: " + "; ".join(errors), errors=errors)
        anchor = CalibrationAnchor(
            issuer_id=principal.issuer_id, microcredential_id=mc.id, microcredential_key=mc.key, title=body.title,
            evidence=[item.model_dump(mode="json", exclude_none=True) for item in body.evidence],
            master_scores=dict(body.master_scores), rationale={k: v.strip() for k, v in body.rationale.items()},
            active=True, created_by=principal.person_id)
        session.add(anchor)
        session.flush()
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="calibration.anchor_created",
              target=f"calibration_anchor:{anchor.id}", key=mc.key, version=mc.version)
        return _anchor_read(anchor, mc.version)


def _anchor(session: Session, principal: Principal, anchor_id: uuid.UUID) -> CalibrationAnchor:
    anchor = session.get(CalibrationAnchor, anchor_id)
    if anchor is None or anchor.issuer_id != principal.issuer_id:
        raise AnchorNotFound(f"no anchor {anchor_id}")
    return anchor


def _version(session: Session, anchor: CalibrationAnchor) -> int:
    return session.get_one(MicroCredential, anchor.microcredential_id).version


def get_anchor(session: Session, principal: Principal, anchor_id: uuid.UUID) -> AnchorRead:
    with read(session):
        anchor = _anchor(session, principal, anchor_id)
        return _anchor_read(anchor, _version(session, anchor))


def list_anchors(session: Session, principal: Principal, page: PageParams, *, key: str | None = None,
                 active: bool | None = None) -> Page[AnchorRead]:
    """The issuer's anchors, newest first (admins)."""
    with read(session):
        query = select(CalibrationAnchor).where(CalibrationAnchor.issuer_id == principal.issuer_id)
        if key is not None:
            query = query.where(CalibrationAnchor.microcredential_key == key)
        if active is not None:
            query = query.where(CalibrationAnchor.active.is_(active))
        rows, total = paginate(session, query.order_by(CalibrationAnchor.created_at.desc(), CalibrationAnchor.id),
                               page)
        return Page(items=[_anchor_read(a, _version(session, a)) for a in rows], total=total, limit=page.limit,
                    offset=page.offset)


def update_anchor(session: Session, principal: Principal, anchor_id: uuid.UUID, body: AnchorUpdate) -> AnchorRead:
    """Retire an anchor or bring it back (admins). Its master scores never change: sets already scored
    against them keep their meaning; a corrected anchor is a new anchor."""
    with transaction(session):
        anchor = _anchor(session, principal, anchor_id)
        if anchor.active != body.active:
            anchor.active = body.active
            audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id,
                  action="calibration.anchor_" + ("restored" if body.active else "retired"),
                  target=f"calibration_anchor:{anchor.id}")
        return _anchor_read(anchor, _version(session, anchor))


# -- calibration sets (assessors) -----------------------------------------------------------------------------


def _agreement_read(issuer: Issuer, result: Agreement) -> AgreementRead:
    return AgreementRead(
        pairs=result.pairs, exact=result.exact, adjacent=result.adjacent, exact_percent=percent(result.exact_share),
        adjacent_percent=percent(result.adjacent_share), required_exact_percent=issuer.calibration_exact_percent,
        required_adjacent_percent=issuer.calibration_adjacent_percent,
        qualified=result.qualifies(issuer.calibration_exact_percent, issuer.calibration_adjacent_percent),
        criteria=[CriterionAgreementRead(criterion=c.criterion, pairs=c.pairs, exact=c.exact, adjacent=c.adjacent,
                                         exact_percent=percent(c.exact_share),
                                         adjacent_percent=percent(c.adjacent_share))
                  for c in result.criteria])


def _anchors_of(session: Session, attempt: CalibrationAttempt) -> list[CalibrationAnchor]:
    return [session.get_one(CalibrationAnchor, uuid.UUID(str(i))) for i in attempt.anchor_ids]


def _scored_anchors(session: Session, attempt: CalibrationAttempt) -> list[ScoredAnchor]:
    scored = {s.anchor_id: s.scores for s in attempt.scores}
    out = []
    for anchor in _anchors_of(session, attempt):
        rubric = session.get_one(MicroCredential, anchor.microcredential_id).rubric
        out.append(ScoredAnchor(levels=[lvl["key"] for lvl in rubric.get("levels", [])],
                                criteria=[c["key"] for c in rubric.get("criteria", [])],
                                master=anchor.master_scores, scored=scored.get(anchor.id, {})))
    return out


def _attempt_read(session: Session, services: Services, attempt: CalibrationAttempt) -> AttemptRead:
    issuer = session.get_one(Issuer, attempt.issuer_id)
    complete = attempt.status is not CalibrationStatus.OPEN
    scored = {s.anchor_id: s.scores for s in attempt.scores}
    anchors = []
    for anchor in _anchors_of(session, attempt):
        mc = session.get_one(MicroCredential, anchor.microcredential_id)
        anchors.append(AttemptAnchor(
            id=anchor.id, title=anchor.title, version=mc.version, rubric=dict(mc.rubric),
            evidence=list(anchor.evidence), your_scores=scored.get(anchor.id),
            master_scores=dict(anchor.master_scores) if complete else None,
            rationale=dict(anchor.rationale) if complete else None))
    result = _agreement_read(issuer, agreement(_scored_anchors(session, attempt))) if complete else None
    url = (qualifications.qualification_url(services.public_base_url, issuer.slug, attempt.qualification_id)
           if attempt.qualification_id else None)
    return AttemptRead(id=attempt.id, assessor_id=attempt.assessor_id, microcredential_key=attempt.microcredential_key,
                       status=attempt.status, anchors=anchors, scored=len(scored), agreement=result,
                       qualification_id=attempt.qualification_id, qualification_url=url,
                       created_at=attempt.created_at, completed_at=attempt.completed_at)


def _open_attempt(session: Session, assessor_id: uuid.UUID, key: str) -> CalibrationAttempt | None:
    return session.scalars(select(CalibrationAttempt).where(
        CalibrationAttempt.assessor_id == assessor_id, CalibrationAttempt.microcredential_key == key,
        CalibrationAttempt.status == CalibrationStatus.OPEN)).first()


def _draw(session: Session, issuer: Issuer, assessor_id: uuid.UUID, key: str) -> list[uuid.UUID]:
    """A set of the issuer's size: active anchors the assessor has not scored yet, at random, topped up with
    ones they have (at random too) when too few are new."""
    active = session.scalars(select(CalibrationAnchor.id).where(
        CalibrationAnchor.issuer_id == issuer.id, CalibrationAnchor.microcredential_key == key,
        CalibrationAnchor.active.is_(True))).all()
    size = issuer.calibration_set_size
    if len(active) < size:
        raise NotEnoughAnchors(f"{issuer.name} has {len(active)} active anchor(s) for {key!r}; a calibration set "
                               f"needs {size}")
    seen = set(session.scalars(select(CalibrationScore.anchor_id).join(
        CalibrationAttempt, CalibrationAttempt.id == CalibrationScore.attempt_id).where(
        CalibrationAttempt.assessor_id == assessor_id)).all())
    new = [a for a in active if a not in seen]
    old = [a for a in active if a in seen]
    drawn = _random.sample(new, min(size, len(new)))
    return drawn + _random.sample(old, size - len(drawn))


def start_attempt(session: Session, services: Services, principal: Principal,
                  body: AttemptCreate) -> tuple[AttemptRead, bool]:
    """Start a calibration set for a key the assessor is trained for: (the set, whether it is new). An open set
    of the same key is returned instead of a new one."""
    with transaction(session):
        issuer = session.get_one(Issuer, principal.issuer_id)
        trained = session.scalar(select(AssessorTraining.id).where(
            AssessorTraining.assessor_id == principal.person_id,
            AssessorTraining.microcredential_key == body.microcredential_key))
        if trained is None:
            raise NotTrained(f"you are not trained for {body.microcredential_key!r}: training comes before "
                             "calibration (POST /api/v1/people/{id}/trainings)")
        existing = _open_attempt(session, principal.person_id, body.microcredential_key)
        if existing is not None:
            return _attempt_read(session, services, existing), False
        attempt = CalibrationAttempt(issuer_id=issuer.id, assessor_id=principal.person_id,
                                     microcredential_key=body.microcredential_key,
                                     anchor_ids=[str(a) for a in _draw(session, issuer, principal.person_id,
                                                                       body.microcredential_key)],
                                     status=CalibrationStatus.OPEN)
        try:
            with session.begin_nested():
                session.add(attempt)
                session.flush()  # a concurrent start of the same key fails here (one open set)
        except IntegrityError:
            existing = _open_attempt(session, principal.person_id, body.microcredential_key)
            if existing is None:
                raise Conflict("the calibration set could not be stored; try again") from None
            return _attempt_read(session, services, existing), False
        audit(session, issuer_id=issuer.id, actor_id=principal.person_id, action="calibration.started",
              target=f"calibration_attempt:{attempt.id}", key=body.microcredential_key, anchors=attempt.anchor_ids)
        return _attempt_read(session, services, attempt), True


def _attempt(session: Session, principal: Principal, attempt_id: uuid.UUID, *, own: bool,
             lock: bool = False) -> CalibrationAttempt:
    """A set the caller may read (its assessor; admins unless ``own``); ``lock`` holds its row until the commit."""
    attempt = session.get(CalibrationAttempt, attempt_id, with_for_update=lock, populate_existing=lock)
    if attempt is None or attempt.issuer_id != principal.issuer_id or (
            attempt.assessor_id != principal.person_id and (own or principal.role is not Role.ADMIN)):
        raise AttemptNotFound(f"no calibration set {attempt_id}")
    return attempt


def score_anchor(session: Session, services: Services, principal: Principal, attempt_id: uuid.UUID,
                 body: CalibrationScoreCreate) -> AttemptRead:
    """Score one anchor of the caller's open set; the last one decides (see the module docstring)."""
    with transaction(session):
        # Locked (FOR UPDATE on PostgreSQL; SQLite's BEGIN IMMEDIATE serializes writers anyway): two anchors
        # scored at once must not each see the other's score missing, or nobody would decide the set.
        attempt = _attempt(session, principal, attempt_id, own=True, lock=True)
        if attempt.status is not CalibrationStatus.OPEN:
            raise CalibrationComplete("this calibration set is complete; start another to calibrate again")
        if str(body.anchor_id) not in attempt.anchor_ids:
            raise AnchorNotInSet(f"anchor {body.anchor_id} is not in this calibration set")
        if any(s.anchor_id == body.anchor_id for s in attempt.scores):
            raise AnchorAlreadyScored("you already scored this anchor")
        anchor = session.get_one(CalibrationAnchor, body.anchor_id)
        mc = session.get_one(MicroCredential, anchor.microcredential_id)
        errors = sorted(level_errors(mc.rubric, body.scores))
        if errors:
            raise Invalid("the scores do not fit the anchor's rubric: " + "; ".join(errors), errors=errors)
        attempt.scores.append(CalibrationScore(anchor_id=anchor.id, scores=dict(body.scores)))
        try:
            session.flush()
        except IntegrityError:
            raise AnchorAlreadyScored("you already scored this anchor") from None
        if len(attempt.scores) == len(attempt.anchor_ids):
            _decide(session, services, attempt, mc_title=_latest_title(session, attempt))
        return _attempt_read(session, services, attempt)


def _latest_title(session: Session, attempt: CalibrationAttempt) -> str:
    """The micro-credential's title as its newest published version states it (what the qualification names)."""
    title = session.scalars(
        select(MicroCredential.title).where(
            MicroCredential.issuer_id == attempt.issuer_id, MicroCredential.key == attempt.microcredential_key,
            MicroCredential.status != MicroCredentialStatus.DRAFT)
        .order_by(MicroCredential.version.desc())).first()
    return title or attempt.microcredential_key


def _decide(session: Session, services: Services, attempt: CalibrationAttempt, *, mc_title: str) -> None:
    issuer = session.get_one(Issuer, attempt.issuer_id)
    result = agreement(_scored_anchors(session, attempt))
    detail: dict[str, Any] = {c.criterion: {"pairs": c.pairs, "exact": c.exact, "adjacent": c.adjacent}
                              for c in result.criteria}
    attempt.agreement = detail
    attempt.exact_percent = percent(result.exact_share)
    attempt.adjacent_percent = percent(result.adjacent_share)
    attempt.completed_at = utcnow()
    qualified = result.qualifies(issuer.calibration_exact_percent, issuer.calibration_adjacent_percent)
    attempt.status = CalibrationStatus.QUALIFIED if qualified else CalibrationStatus.NOT_QUALIFIED
    audit(session, issuer_id=issuer.id, actor_id=attempt.assessor_id, action="calibration.completed",
          target=f"calibration_attempt:{attempt.id}", key=attempt.microcredential_key, qualified=qualified,
          exact_percent=attempt.exact_percent, adjacent_percent=attempt.adjacent_percent)
    if qualified:
        row = qualifications.issue(session, services, issuer, session.get_one(Person, attempt.assessor_id),
                                   key=attempt.microcredential_key, title=mc_title,
                                   exact_percent=attempt.exact_percent, adjacent_percent=attempt.adjacent_percent)
        attempt.qualification_id = row.id


def get_attempt(session: Session, services: Services, principal: Principal, attempt_id: uuid.UUID) -> AttemptRead:
    """One calibration set (its assessor; admins)."""
    with read(session):
        return _attempt_read(session, services, _attempt(session, principal, attempt_id, own=False))


def list_attempts(session: Session, services: Services, principal: Principal, page: PageParams, *,
                  assessor_id: uuid.UUID | None = None, key: str | None = None) -> Page[AttemptRead]:
    """Calibration sets, newest first: the caller's own (assessors), or any of the issuer's (admins)."""
    if principal.role not in (Role.ADMIN, Role.ASSESSOR):
        raise Forbidden("calibration results are read by the assessor and by admins")
    with read(session):
        query = select(CalibrationAttempt).where(CalibrationAttempt.issuer_id == principal.issuer_id)
        if principal.role is not Role.ADMIN:
            query = query.where(CalibrationAttempt.assessor_id == principal.person_id)
        if assessor_id is not None:
            query = query.where(CalibrationAttempt.assessor_id == assessor_id)
        if key is not None:
            query = query.where(CalibrationAttempt.microcredential_key == key)
        rows, total = paginate(session, query.order_by(CalibrationAttempt.created_at.desc(), CalibrationAttempt.id),
                               page)
        return Page(items=[_attempt_read(session, services, a) for a in rows], total=total, limit=page.limit,
                    offset=page.offset)
