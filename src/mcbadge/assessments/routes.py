"""``/api/v1/submissions/{id}/assignments``, ``.../assessments`` and ``.../scoring``: who assesses, their scores,
and how the outcome is reached; ``/api/v1/scoring-policies``: the issuer's double-scoring rules."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from ..api.auth import require
from ..api.deps import ServicesDep, SessionDep
from ..api.problems import responses
from ..catalog.schemas import KEY_PATTERN
from ..db.models import Role
from ..errors import Forbidden, Invalid
from ..principal import Principal
from ..qualifications.service import NotQualified
from ..submissions.service import UnknownSubmission
from . import service
from .schemas import (
    AssessmentCreate,
    AssessmentRead,
    AssignmentCreate,
    AssignmentRead,
    ScoringPolicies,
    ScoringPolicyRead,
    ScoringPolicyWrite,
    ScoringRead,
)

router = APIRouter(prefix="/api/v1", tags=["assessments"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Assessor = Annotated[Principal, Depends(require(Role.ASSESSOR))]


@router.post("/submissions/{submission_id}/assignments", status_code=201, response_model=AssignmentRead,
             responses=responses(Forbidden, UnknownSubmission, service.NotAwaitingAssessment, service.AlreadyAssigned,
                                 service.UnknownAssessor, service.NotAnAssessor, service.NotTrained, NotQualified,
                                 service.AssessorIsSubmitter, Invalid))
def assign_assessor(submission_id: uuid.UUID, body: AssignmentCreate, session: SessionDep,
                    admin: Admin) -> AssignmentRead:
    """Assign an assessor to a submitted attempt (admins). The assessor must be trained for the
    micro-credential and must not be the submitter. Under second scoring, assign two (and a lead when they
    disagree)."""
    return service.assign(session, admin, submission_id, body)


@router.post("/submissions/{submission_id}/assessments", status_code=201, response_model=AssessmentRead,
             responses=responses(service.SelfAssessment, UnknownSubmission, service.NotAwaitingAssessment,
                                 service.AlreadyAssessed, service.LeadRequired, service.NotTrained, NotQualified,
                                 service.InvalidScores, Invalid))
def assess_submission(submission_id: uuid.UUID, body: AssessmentCreate, session: SessionDep, assessor: Assessor,
                      services: ServicesDep) -> AssessmentRead:
    """Score a submission you are assigned to (assessors): a level for every rubric criterion, and feedback
    for each criterion below its required level. Passed when every criterion reaches its required level.
    With second scoring the outcome stands when two assessors agree, or when a lead assessor decides."""
    return service.assess(session, assessor, services, submission_id, body)


@router.get("/submissions/{submission_id}/scoring", response_model=ScoringRead,
            responses=responses(Forbidden, UnknownSubmission))
def get_scoring(submission_id: uuid.UUID, session: SessionDep, admin: Admin) -> ScoringRead:
    """How a submission is scored (admins): what it waits for (a first or second score, a lead decision),
    whether and why it is double-scored (issuer rule, seeded random sample, borderline), and per criterion the
    independent scores, their agreement, the lead's level and the deciding level. No assessor is named."""
    return service.scoring_view(session, admin, submission_id)


MicroCredentialKey = Annotated[str, Path(max_length=100, pattern=KEY_PATTERN)]


@router.get("/scoring-policies", response_model=ScoringPolicies, responses=responses(Forbidden))
def list_scoring_policies(session: SessionDep, admin: Admin) -> ScoringPolicies:
    """The issuer's double-scoring rules (admins): its defaults (set with PATCH /api/v1/issuer), each
    micro-credential's own rule, and the seed of the draw that picks submissions at random."""
    return service.scoring_policies(session, admin)


@router.put("/scoring-policies/{key}", response_model=ScoringPolicyRead,
            responses=responses(Forbidden, service.UnknownMicroCredentialKey, Invalid))
def put_scoring_policy(key: MicroCredentialKey, body: ScoringPolicyWrite, session: SessionDep,
                       admin: Admin) -> ScoringPolicyRead:
    """Set the second-scoring rate and the borderline rule of one micro-credential, every version (admins).
    It applies to submissions whose first score arrives from now on."""
    return service.put_scoring_policy(session, admin, key, body)


@router.delete("/scoring-policies/{key}", status_code=204,
               responses=responses(Forbidden, service.UnknownScoringPolicy))
def delete_scoring_policy(key: MicroCredentialKey, session: SessionDep, admin: Admin) -> Response:
    """Remove a micro-credential's own rule (admins): the issuer's defaults apply again."""
    service.delete_scoring_policy(session, admin, key)
    return Response(status_code=204)
