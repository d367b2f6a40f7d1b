"""Calibration over HTTP: ``/api/v1/calibration/anchors`` (admins keep anchor submissions with master
scores) and ``/api/v1/calibration/attempts`` (assessors score calibration sets; results readable by the
assessor and by admins)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ..api.auth import CurrentPrincipal, require
from ..api.deps import PageDep, ServicesDep, SessionDep
from ..api.problems import responses
from ..assessments.service import NotTrained
from ..catalog.schemas import Key
from ..db.models import Role
from ..errors import Forbidden, Invalid
from ..features import Page
from ..principal import Principal
from . import service
from .schemas import AnchorCreate, AnchorRead, AnchorUpdate, AttemptCreate, AttemptRead, CalibrationScoreCreate

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/calibration", tags=["calibration"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Assessor = Annotated[Principal, Depends(require(Role.ASSESSOR))]


@router.post("/anchors", status_code=201, response_model=AnchorRead,
             responses=responses(Forbidden, service.InvalidAnchor, Invalid))
def create_anchor(body: AnchorCreate, session: SessionDep, admin: Admin) -> AnchorRead:
    """Add an anchor submission (admins): exemplar evidence of a published micro-credential version, with the
    master level and its rationale for every rubric criterion."""
    return service.create_anchor(session, admin, body)


@router.get("/anchors", response_model=Page[AnchorRead], responses=responses(Forbidden))
def list_anchors(session: SessionDep, admin: Admin, page: PageDep,
                 key: Annotated[Key | None, Query(description="Only anchors of this micro-credential key.")] = None,
                 active: Annotated[bool | None, Query(description="Only active (true) or retired (false) ones.")] = None,
                 ) -> Page[AnchorRead]:
    """The issuer's anchors with their master scores (admins)."""
    return service.list_anchors(session, admin, page, key=key, active=active)


@router.get("/anchors/{anchor_id}", response_model=AnchorRead, responses=responses(Forbidden, service.AnchorNotFound))
def get_anchor(anchor_id: uuid.UUID, session: SessionDep, admin: Admin) -> AnchorRead:
    """One anchor with its master scores (admins)."""
    return service.get_anchor(session, admin, anchor_id)


@router.patch("/anchors/{anchor_id}", response_model=AnchorRead,
              responses=responses(Forbidden, service.AnchorNotFound))
def update_anchor(anchor_id: uuid.UUID, body: AnchorUpdate, session: SessionDep, admin: Admin) -> AnchorRead:
    """Retire an anchor, or bring it back (admins); its master scores never change."""
    return service.update_anchor(session, admin, anchor_id, body)


@router.post("/attempts", status_code=201, response_model=AttemptRead,
             responses={200: {"description": "Your open calibration set for this key", "model": AttemptRead},
                        **responses(Forbidden, NotTrained, service.NotEnoughAnchors)})
def start_attempt(body: AttemptCreate, response: Response, session: SessionDep, services: ServicesDep,
                  assessor: Assessor) -> AttemptRead:
    """Start a calibration set for a micro-credential you are trained for (assessors): 201 with a new set of
    anchors you have not scored before where possible, or 200 with your open set."""
    attempt, created = service.start_attempt(session, services, assessor, body)
    response.status_code = 201 if created else 200
    return attempt


@router.get("/attempts", response_model=Page[AttemptRead], responses=responses(Forbidden))
def list_attempts(
    session: SessionDep, services: ServicesDep, principal: CurrentPrincipal, page: PageDep,
    assessor_id: Annotated[uuid.UUID | None, Query(description="Only this assessor's sets (admins).")] = None,
    key: Annotated[Key | None, Query(description="Only sets of this micro-credential key.")] = None,
) -> Page[AttemptRead]:
    """Calibration sets and their results: your own (assessors), or the issuer's (admins)."""
    return service.list_attempts(session, services, principal, page, assessor_id=assessor_id, key=key)


@router.get("/attempts/{attempt_id}", response_model=AttemptRead,
            responses=responses(service.AttemptNotFound))
def get_attempt(attempt_id: uuid.UUID, session: SessionDep, services: ServicesDep,
                principal: CurrentPrincipal) -> AttemptRead:
    """One calibration set (its assessor; admins): once complete, the agreement with the master scores per
    criterion, the outcome, and the master scores with their rationale."""
    return service.get_attempt(session, services, principal, attempt_id)


@router.post("/attempts/{attempt_id}/scores", response_model=AttemptRead,
             responses=responses(Forbidden, service.AttemptNotFound, service.CalibrationComplete,
                                 service.AnchorNotInSet, service.AnchorAlreadyScored, Invalid))
def score_anchor(attempt_id: uuid.UUID, body: CalibrationScoreCreate, session: SessionDep, services: ServicesDep,
                 assessor: Assessor) -> AttemptRead:
    """Score one anchor of your open set (assessors). Scoring the last anchor decides: a qualification when the
    agreement reaches the issuer's threshold, else the master scores and rationale, and another set to try."""
    return service.score_anchor(session, services, assessor, attempt_id, body)
