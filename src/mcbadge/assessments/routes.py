"""``/api/v1/submissions/{id}/assignments`` and ``.../assessments``: who assesses, and their scores."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from ..api.auth import require
from ..api.deps import ServicesDep, SessionDep
from ..api.problems import responses
from ..db.models import Role
from ..errors import Forbidden, Invalid
from ..principal import Principal
from ..qualifications.service import NotQualified
from ..submissions.service import UnknownSubmission
from . import service
from .schemas import AssessmentCreate, AssessmentRead, AssignmentCreate, AssignmentRead

router = APIRouter(prefix="/api/v1/submissions", tags=["assessments"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Assessor = Annotated[Principal, Depends(require(Role.ASSESSOR))]


@router.post("/{submission_id}/assignments", status_code=201, response_model=AssignmentRead,
             responses=responses(Forbidden, UnknownSubmission, service.NotAwaitingAssessment, service.AlreadyAssigned,
                                 service.UnknownAssessor, service.NotAnAssessor, service.NotTrained, NotQualified,
                                 service.AssessorIsSubmitter, Invalid))
def assign_assessor(submission_id: uuid.UUID, body: AssignmentCreate, session: SessionDep,
                    admin: Admin) -> AssignmentRead:
    """Assign an assessor to a submitted attempt (admins). The assessor must be trained for the
    micro-credential and must not be the submitter. Under second scoring, assign two (and a lead when they
    disagree)."""
    return service.assign(session, admin, submission_id, body)


@router.post("/{submission_id}/assessments", status_code=201, response_model=AssessmentRead,
             responses=responses(service.SelfAssessment, UnknownSubmission, service.NotAwaitingAssessment,
                                 service.AlreadyAssessed, service.LeadRequired, service.NotTrained, NotQualified,
                                 service.InvalidScores, Invalid))
def assess_submission(submission_id: uuid.UUID, body: AssessmentCreate, session: SessionDep, assessor: Assessor,
                      services: ServicesDep) -> AssessmentRead:
    """Score a submission you are assigned to (assessors): a level for every rubric criterion, and feedback
    for each criterion below its required level. Passed when every criterion reaches its required level.
    With second scoring the outcome stands when two assessors agree, or when a lead assessor decides."""
    return service.assess(session, assessor, services, submission_id, body)
