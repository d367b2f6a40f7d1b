"""Assignments and assessments: the rubric decides, assessors score, and the outcome stands when it may.

Rules
-----
- An assessor must be trained for the micro-credential's key (any version) to be assigned, and must be
  assigned to score. When the issuer requires qualification (``issuer.require_qualification``), the assessor
  also needs a current qualification for the key (``qualifications``: earned by calibration), both to be
  assigned and to score: one that lapsed or was revoked after the assignment stops the scoring. Nobody scores
  their own submission: compared by person id, checked before anything else, whatever their role is now (an
  educator who later became an assessor keeps their old attempts).
- A criterion passes at or above its required level (levels are ordered lowest first); an assessment
  passes when every criterion does. Feedback is required for each criterion below its required level.
- Double scoring, per criterion (the rules in ``assessments.scoring``): when the first score arrives, the
  submission is double-scored by the issuer rule (``issuer.second_scoring``: every submission), by a seeded
  draw against the rate of the micro-credential's ``ScoringPolicy`` (else the issuer's default), or because the
  first score is borderline (when the policy asks for it); the reason, the draw and the rate are recorded on the
  submission. Otherwise the first score decides. A double-scored submission waits for a second assessor, who
  scores every criterion without seeing the first scores (``submissions`` shows an assessor only their own
  scores until a lead decision is due or the outcome stands). Criteria the two agree on (same level, or one
  level apart on the same side of the required level: the lower stands) decide; any disputed criterion sends
  the submission to an assigned *lead* assessor (``AssessorTraining.lead``, who has not scored it yet), who sees
  both and scores every criterion: that assessment (``lead_decision``) decides. ``Submission.decided_scores``
  keeps the deciding level per criterion (what the credential reports) and ``score_sources`` how each was reached.
- Not yet → ``not_yet`` (the educator sees the feedback and may start another attempt); pass → ``passed``,
  then, when the issuer auto-approves, the award (``mcbadge.stacks.service.award_component``: the award, then the designations it completes).
  Every assessment is kept.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..stacks import service as stacks
from ..db.models import (
    Assessment,
    AssessorTraining,
    Assignment,
    Issuer,
    MicroCredential,
    Person,
    Role,
    ScoringPolicy,
    Submission,
    SubmissionStatus,
    utcnow,
)
from ..db.session import transaction
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..events import outbox as events
from ..features import audit
from ..principal import Principal
from ..qualifications import service as qualifications
from ..services import Services
from ..submissions.service import UnknownSubmission, is_assigned
from . import scoring
from .schemas import (
    AssessmentCreate,
    AssessmentRead,
    AssignmentCreate,
    AssignmentRead,
    CriterionScoring,
    ScoringPolicies,
    ScoringPolicyRead,
    ScoringPolicyWrite,
    ScoringRead,
    ScoringStage,
)

log = logging.getLogger(__name__)


class UnknownAssessor(Invalid):
    """The assessor named in the body is not a person of this issuer."""

    code = "unknown-assessor"


class NotAnAssessor(Invalid):
    """Only people with the assessor role can be assigned."""

    code = "not-an-assessor"


class NotTrained(Invalid):
    """The assessor is not trained for this micro-credential (POST /api/v1/people/{id}/trainings)."""

    code = "assessor-not-trained"


class AssessorIsSubmitter(Invalid):
    """The submitter cannot be assigned to assess their own submission."""

    code = "assessor-is-submitter"


class SelfAssessment(Forbidden):
    """Nobody scores their own submission."""

    code = "self-assessment"


class AlreadyAssigned(Conflict):
    """The assessor is already assigned to this submission."""

    code = "already-assigned"


class NotAwaitingAssessment(Conflict):
    """The submission is not waiting for assessment (a draft, or its outcome already stands)."""

    code = "not-awaiting-assessment"


class AlreadyAssessed(Conflict):
    """This assessor already assessed this submission (assessments are kept, never replaced)."""

    code = "already-assessed"


class LeadRequired(Conflict):
    """Two assessors disagree: only a lead assessor's assessment can decide now."""

    code = "lead-required"


class InvalidScores(Invalid):
    """The scores or feedback do not fit the rubric; ``errors`` says how."""

    code = "invalid-scores"


# --- assignments --------------------------------------------------------------------------------------


class UnknownMicroCredentialKey(Invalid):
    """The issuer has no micro-credential with this key."""

    code = "unknown-microcredential"


class UnknownScoringPolicy(NotFound):
    """This micro-credential key has no scoring policy of its own (the issuer's defaults apply)."""

    code = "unknown-scoring-policy"


def _submission_of_issuer(session: Session, principal: Principal, submission_id: uuid.UUID, *,
                          lock: bool = False) -> Submission:
    # ``lock``: scoring reads the assessments made so far and adds one; two scorers at once on PostgreSQL would
    # both count themselves first (SQLite's BEGIN IMMEDIATE already serializes writers).
    sub = session.get(Submission, submission_id, with_for_update=lock)
    if sub is None or sub.issuer_id != principal.issuer_id:
        raise UnknownSubmission(f"no submission {submission_id}")
    return sub


def _training(session: Session, assessor_id: uuid.UUID, key: str) -> AssessorTraining | None:
    return session.scalar(select(AssessorTraining).where(
        AssessorTraining.assessor_id == assessor_id, AssessorTraining.microcredential_key == key))


def assign(session: Session, principal: Principal, submission_id: uuid.UUID, body: AssignmentCreate) -> AssignmentRead:
    """Assign a trained assessor, who is not the submitter, to a submitted attempt."""
    with transaction(session):
        sub = _submission_of_issuer(session, principal, submission_id)
        if sub.status is not SubmissionStatus.SUBMITTED:
            raise NotAwaitingAssessment(f"the submission is {sub.status.value}; only submitted attempts are assigned")
        assessor = session.get(Person, body.assessor_id)
        if assessor is None or assessor.issuer_id != principal.issuer_id:
            raise UnknownAssessor(f"no person {body.assessor_id} at this issuer")
        if assessor.id == sub.educator_id:
            raise AssessorIsSubmitter(f"{assessor.name} submitted this attempt and cannot assess it")
        if assessor.role is not Role.ASSESSOR:
            raise NotAnAssessor(f"{assessor.name} is {assessor.role.value}, not an assessor")
        mc = session.get(MicroCredential, sub.microcredential_id)
        assert mc is not None
        if _training(session, assessor.id, mc.key) is None:
            raise NotTrained(f"{assessor.name} is not trained for {mc.key!r}")
        qualifications.require_current(session, session.get_one(Issuer, sub.issuer_id), assessor, mc.key,
                                       subject=assessor.name)
        if is_assigned(session, sub.id, assessor.id):
            raise AlreadyAssigned(f"{assessor.name} is already assigned to this submission")
        assignment = Assignment(submission_id=sub.id, assessor_id=assessor.id)
        session.add(assignment)
        try:
            session.flush()
        except IntegrityError:
            raise AlreadyAssigned(f"{assessor.name} is already assigned to this submission") from None
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="submission.assign",
              target=f"submission:{sub.id}", assessor=str(assessor.id))
        return AssignmentRead.model_validate(assignment, from_attributes=True)


# --- scoring ------------------------------------------------------------------------------------------


def level_errors(rubric: dict[str, Any], scores: Mapping[str, str], *, field: str = "scores") -> list[str]:
    """What is wrong with a level per criterion for ``rubric``: unknown criteria, missing criteria, unknown
    levels (empty when nothing). Scoring a submission and calibration (master and anchor scores) share it."""
    order = [level["key"] for level in rubric.get("levels", [])]
    criteria = [c["key"] for c in rubric.get("criteria", [])]
    errors = [f"{field}.{key}: the rubric has no criterion {key!r}" for key in scores.keys() - set(criteria)]
    for key in criteria:
        level = scores.get(key)
        if level is None:
            errors.append(f"{field}.{key}: every criterion needs a level")
        elif level not in order:
            errors.append(f"{field}.{key}: {level!r} is not a level of the rubric ({', '.join(order)})")
    return errors


def score_errors(rubric: dict[str, Any], body: AssessmentCreate) -> tuple[list[str], bool]:
    """What is wrong with ``body`` for ``rubric`` (empty when nothing), and whether it passes."""
    order = {level["key"]: i for i, level in enumerate(rubric.get("levels", []))}
    criteria = {c["key"]: c for c in rubric.get("criteria", [])}
    errors = level_errors(rubric, body.scores)
    passed = True
    for key in body.feedback.keys() - criteria.keys():
        errors.append(f"feedback.{key}: the rubric has no criterion {key!r}")
    for key, criterion in criteria.items():
        level = body.scores.get(key)
        if level is None or level not in order:
            continue
        if order[level] < order[criterion["required_level"]]:
            passed = False
            if not body.feedback.get(key, "").strip():
                errors.append(f"feedback.{key}: below the required level ({criterion['required_level']}); "
                              "say what the evidence needs")
    return sorted(errors), passed


def _read(a: Assessment, status: SubmissionStatus) -> AssessmentRead:
    return AssessmentRead(id=a.id, submission_id=a.submission_id, assessor_id=a.assessor_id, scores=a.scores,
                          feedback=a.feedback, passed=a.passed, lead_decision=a.lead_decision,
                          created_at=a.created_at, submission_status=status)


def assess(session: Session, principal: Principal, services: Services, submission_id: uuid.UUID,
           body: AssessmentCreate) -> AssessmentRead:
    """Score a submission against its rubric; decide the outcome when the rules let it stand."""
    with transaction(session):
        sub = _submission_of_issuer(session, principal, submission_id, lock=True)
        if sub.educator_id == principal.person_id:
            raise SelfAssessment("you submitted this attempt: someone else must assess it")
        if not is_assigned(session, sub.id, principal.person_id):
            raise UnknownSubmission(f"no submission {submission_id}")
        if sub.status is not SubmissionStatus.SUBMITTED:
            raise NotAwaitingAssessment(f"the submission is {sub.status.value}, not waiting for assessment")
        if any(a.assessor_id == principal.person_id for a in sub.assessments):
            raise AlreadyAssessed("you already assessed this submission")
        mc = session.get(MicroCredential, sub.microcredential_id)
        issuer = session.get(Issuer, sub.issuer_id)
        assert mc is not None and issuer is not None
        training = _training(session, principal.person_id, mc.key)
        if training is None:
            raise NotTrained(f"you are not trained for {mc.key!r}")
        qualifications.require_current(session, issuer, session.get_one(Person, principal.person_id), mc.key,
                                       subject="you")
        errors, passed = score_errors(mc.rubric, body)
        if errors:
            raise InvalidScores("the scores do not fit the rubric: " + "; ".join(errors), errors=errors)

        scores = dict(body.scores)
        independent = [a for a in sub.assessments if not a.lead_decision]
        lead_decision = False
        decision: tuple[dict[str, str], dict[str, scoring.Source]] | None
        if not independent:
            # The first score: is this submission double-scored? If not, this score decides.
            reason = _choose_double_scoring(session, principal, issuer, mc, sub, scores)
            decision = None if reason else (scores, {key: "single" for key in scores})
        elif len(independent) == 1:
            # The second independent score: the criteria agreed on decide; a disputed one waits for a lead.
            decision = scoring.agreed_scores(scoring.compare(mc.rubric, independent[0].scores, scores))
        else:
            if not training.lead:
                raise LeadRequired("the two assessments disagree: a lead assessor decides this submission")
            lead_decision = True
            decision = scores, {key: "lead" for key in scores}
        assessment = Assessment(submission_id=sub.id, assessor_id=principal.person_id, scores=scores,
                                feedback={k: v for k, v in body.feedback.items() if v.strip()}, passed=passed,
                                lead_decision=lead_decision)
        sub.assessments.append(assessment)
        try:
            session.flush()
        except IntegrityError:
            raise AlreadyAssessed("you already assessed this submission") from None
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="submission.assess",
              target=f"submission:{sub.id}", assessment=str(assessment.id), passed=passed,
              lead_decision=lead_decision)
        if decision is not None:
            sub.decided_scores, sub.score_sources = decision
            outcome = scoring.passes(mc.rubric, sub.decided_scores)
            sub.status = SubmissionStatus.PASSED if outcome else SubmissionStatus.NOT_YET
            sub.decided_at = utcnow()
            audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="submission.decide",
                  target=f"submission:{sub.id}", outcome=sub.status.value)
            if outcome:
                events.emit(session, issuer_id=sub.issuer_id, type=events.EventType.PASSED,
                            ordering_key=f"submission:{sub.id}", data=events.submission_data(session, sub))
            else:
                # Every assessor's feedback, per criterion (a lead's decision last): what the educator reads.
                feedback = {k: v for a in sub.assessments for k, v in a.feedback.items()}
                educator = session.get_one(Person, sub.educator_id)
                events.emit(session, issuer_id=sub.issuer_id, type=events.EventType.NOT_YET,
                            ordering_key=f"submission:{sub.id}",
                            data=events.submission_data(session, sub, feedback=feedback),
                            educator_email=educator.email)
        auto_award = sub.status is SubmissionStatus.PASSED and issuer.auto_approve
        result = _read(assessment, sub.status)

    if auto_award:
        status = _auto_award(session, services, sub.id)
        result = result.model_copy(update={"submission_status": status})
    return result


def _policy(session: Session, issuer: Issuer, key: str) -> tuple[int, bool]:
    """The second-scoring rate and borderline switch for ``key``: its policy, else the issuer's defaults."""
    policy = session.scalar(select(ScoringPolicy).where(ScoringPolicy.issuer_id == issuer.id,
                                                        ScoringPolicy.microcredential_key == key))
    if policy is not None:
        return policy.second_scoring_percent, policy.second_score_borderline
    return issuer.second_scoring_percent, issuer.second_score_borderline


def _choose_double_scoring(session: Session, principal: Principal, issuer: Issuer, mc: MicroCredential,
                           sub: Submission, first_scores: dict[str, str]) -> scoring.Reason | None:
    """Decide, at the first score, whether ``sub`` is double-scored and why; record it (``assessments.scoring``)."""
    percent, borderline = _policy(session, issuer, mc.key)
    draw = scoring.sampling_draw(issuer.scoring_seed, sub.id) if percent > 0 else None
    reason = scoring.double_scoring_reason(issuer_rule=issuer.second_scoring, draw=draw, percent=percent,
                                           borderline=borderline, rubric=mc.rubric, first_scores=first_scores)
    sub.double_scoring_reason = reason
    sub.sampling_percent = percent if draw is not None else None
    sub.sampling_draw = draw
    if reason is not None:
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="submission.double_score",
              target=f"submission:{sub.id}", reason=reason, sampling_percent=sub.sampling_percent,
              sampling_draw=draw, borderline_criteria=scoring.borderline_criteria(mc.rubric, first_scores))
    return reason


# --- the scoring of one submission, and the policies ----------------------------------------------------


def _stage(sub: Submission, independent: list[Assessment]) -> ScoringStage:
    if sub.status is not SubmissionStatus.SUBMITTED:
        return "decided" if sub.decided_at is not None else "not_submitted"  # a draft, or withdrawn before
    if not independent:
        return "first_score"
    return "second_score" if len(independent) == 1 else "lead_decision"


def scoring_view(session: Session, principal: Principal, submission_id: uuid.UUID) -> ScoringRead:
    """Whether and why a submission is double-scored, and its scores per criterion (admins)."""
    with transaction(session):
        sub = _submission_of_issuer(session, principal, submission_id)
        mc = session.get_one(MicroCredential, sub.microcredential_id)
        independent = [a for a in sub.assessments if not a.lead_decision]
        lead = next((a for a in sub.assessments if a.lead_decision), None)
        first = independent[0].scores if independent else {}
        second = independent[1].scores if len(independent) > 1 else {}
        agreement = ({c.criterion: c.agreement for c in scoring.compare(mc.rubric, first, second)}
                     if first and second else {})
        decided, sources = sub.decided_scores or {}, sub.score_sources or {}
        criteria = [
            CriterionScoring(criterion=key, required_level=required, first=first.get(key), second=second.get(key),
                             agreement=agreement.get(key), lead=lead.scores.get(key) if lead else None,
                             deciding=decided.get(key), source=sources.get(key))
            for key, required in scoring.required_levels(mc.rubric).items()
        ]
        return ScoringRead(submission_id=sub.id, stage=_stage(sub, independent),
                           double_scored=sub.double_scoring_reason is not None,
                           reason=sub.double_scoring_reason,  # type: ignore[arg-type]  # a Reason, as written
                           sampling_percent=sub.sampling_percent, sampling_draw=sub.sampling_draw, criteria=criteria)


def _policy_read(policy: ScoringPolicy) -> ScoringPolicyRead:
    return ScoringPolicyRead(microcredential_key=policy.microcredential_key,
                             second_scoring_percent=policy.second_scoring_percent,
                             second_score_borderline=policy.second_score_borderline, updated_at=policy.updated_at)


def scoring_policies(session: Session, principal: Principal) -> ScoringPolicies:
    """The issuer's double-scoring defaults, its rules per micro-credential key, and the draw's seed (admins)."""
    with transaction(session):
        issuer = session.get_one(Issuer, principal.issuer_id)
        policies = session.scalars(select(ScoringPolicy).where(ScoringPolicy.issuer_id == issuer.id)
                                   .order_by(ScoringPolicy.microcredential_key)).all()
        return ScoringPolicies(every_submission=issuer.second_scoring,
                               default_second_scoring_percent=issuer.second_scoring_percent,
                               default_second_score_borderline=issuer.second_score_borderline,
                               sampling_seed=issuer.scoring_seed.hex(), policies=[_policy_read(p) for p in policies])


def put_scoring_policy(session: Session, principal: Principal, key: str, body: ScoringPolicyWrite) -> ScoringPolicyRead:
    """Set the double-scoring rule of one micro-credential key (admins); it applies from the next first score."""
    with transaction(session):
        known = session.scalar(select(MicroCredential.id).where(MicroCredential.issuer_id == principal.issuer_id,
                                                                MicroCredential.key == key).limit(1))
        if known is None:
            raise UnknownMicroCredentialKey(f"no micro-credential {key!r} at this issuer")
        policy = session.scalar(select(ScoringPolicy).where(ScoringPolicy.issuer_id == principal.issuer_id,
                                                            ScoringPolicy.microcredential_key == key))
        if policy is None:
            policy = ScoringPolicy(issuer_id=principal.issuer_id, microcredential_key=key)
            session.add(policy)
        policy.second_scoring_percent = body.second_scoring_percent
        policy.second_score_borderline = body.second_score_borderline
        policy.updated_by = principal.person_id
        policy.updated_at = utcnow()
        session.flush()
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="scoring_policy.set",
              target=f"microcredential:{key}", second_scoring_percent=body.second_scoring_percent,
              second_score_borderline=body.second_score_borderline)
        return _policy_read(policy)


def delete_scoring_policy(session: Session, principal: Principal, key: str) -> None:
    """Remove a micro-credential's own rule (admins): the issuer's defaults apply again."""
    with transaction(session):
        policy = session.scalar(select(ScoringPolicy).where(ScoringPolicy.issuer_id == principal.issuer_id,
                                                            ScoringPolicy.microcredential_key == key))
        if policy is None:
            raise UnknownScoringPolicy(f"{key!r} has no scoring policy of its own")
        session.delete(policy)
        audit(session, issuer_id=principal.issuer_id, actor_id=principal.person_id, action="scoring_policy.removed",
              target=f"microcredential:{key}")


def _auto_award(session: Session, services: Services, submission_id: uuid.UUID) -> SubmissionStatus:
    """Award a passing submission of an auto-approving issuer; the status the submission ends in.

    The assessment is already committed: if the award fails, the submission stays ``passed`` and an admin
    approves it later (the award is idempotent), so the assessor's request still succeeds.
    """
    try:
        stacks.award_component(session, services, submission_id, approved_by=None)
    except Exception:
        # award() ran in its own transaction, rolled back by now: nothing of it is left in the session.
        log.exception("auto-approve: awarding submission %s failed; it stays passed for an admin", submission_id)
    with transaction(session):
        sub = session.get(Submission, submission_id, populate_existing=True)
        assert sub is not None
        return sub.status
