"""``/api/v1/people``: the issuer's people, their API keys and assessor trainings (admins only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ..api.auth import require
from ..api.deps import PageDep, SessionDep
from ..api.problems import responses
from ..db.models import Role
from ..errors import Forbidden, Invalid
from ..features import Page
from ..principal import Principal
from . import service
from .schemas import (
    ApiKeyCreate,
    ApiKeyIssued,
    PersonCreate,
    PersonRead,
    TrainingCreate,
    TrainingRead,
)

router = APIRouter(prefix="/api/v1/people", tags=["people"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


@router.post("", status_code=201, response_model=PersonRead,
             responses=responses(Forbidden, service.EmailTaken, Invalid))
def create_person(body: PersonCreate, session: SessionDep, admin: Admin) -> PersonRead:
    """Add an educator, assessor, admin or integrator to the caller's issuer (admins)."""
    return service.create_person(session, admin, body)


@router.get("", response_model=Page[PersonRead], responses=responses(Forbidden))
def list_people(session: SessionDep, admin: Admin, page: PageDep,
                role: Annotated[Role | None, Query(description="Only people with this role.")] = None) -> Page[PersonRead]:
    """The issuer's people (admins)."""
    return service.list_people(session, admin, page, role=role)


@router.get("/{person_id}", response_model=PersonRead, responses=responses(Forbidden, service.UnknownPerson))
def get_person(person_id: uuid.UUID, session: SessionDep, admin: Admin) -> PersonRead:
    """One person of the issuer (admins)."""
    return service.get_person(session, admin, person_id)


@router.post("/{person_id}/api-keys", status_code=201, response_model=ApiKeyIssued,
             responses=responses(Forbidden, service.UnknownPerson, Invalid))
def issue_api_key(person_id: uuid.UUID, session: SessionDep, admin: Admin,
                  body: ApiKeyCreate | None = None) -> ApiKeyIssued:
    """Issue an API key for a person (admins). The key is in this response only; store it now."""
    return service.issue_key(session, admin, person_id, body or ApiKeyCreate())


@router.post("/{person_id}/trainings", status_code=201, response_model=TrainingRead,
             responses=responses(Forbidden, service.UnknownPerson, service.NotAnAssessor, service.UnknownKey))
def train_assessor(person_id: uuid.UUID, body: TrainingCreate, session: SessionDep, admin: Admin,
                   response: Response) -> TrainingRead:
    """Mark an assessor trained for a micro-credential key, across its versions (admins); ``lead`` lets them
    settle disagreements under second scoring. 201 when new, 200 when an existing training was updated."""
    training, created = service.train(session, admin, person_id, body)
    if not created:
        response.status_code = 200
    return training
