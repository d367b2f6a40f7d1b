"""``/api/v1/microcredentials``: define micro-credentials (admins) and read the catalog (every role)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ..api.auth import CurrentPrincipal, require
from ..api.deps import PageDep, ServicesDep, SessionDep
from ..api.problems import responses
from ..db.models import MicroCredentialStatus, Role
from ..errors import Forbidden, Invalid
from ..features import Page
from ..principal import Principal
from . import service
from .schemas import MicroCredentialChanges, MicroCredentialCreate, MicroCredentialRead

router = APIRouter(prefix="/api/v1/microcredentials", tags=["catalog"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


@router.post("", status_code=201, response_model=MicroCredentialRead,
             responses=responses(Forbidden, service.KeyTaken, Invalid))
def create_microcredential(body: MicroCredentialCreate, session: SessionDep, admin: Admin) -> MicroCredentialRead:
    """Create a micro-credential as draft version 1 of its ``key`` (admins). Publish it when complete."""
    return service.create(session, admin, body)


@router.get("", response_model=Page[MicroCredentialRead], responses=responses())
def list_microcredentials(
    session: SessionDep, services: ServicesDep, principal: CurrentPrincipal, page: PageDep,
    key: Annotated[str | None, Query(max_length=100, description="Only the versions of this key.")] = None,
    status: Annotated[MicroCredentialStatus | None, Query(description="Only versions in this status.")] = None,
) -> Page[MicroCredentialRead]:
    """The issuer's micro-credential versions (any role; educators see published versions only), each with
    the state agencies whose vetting of that exact version verifies now (``vetted_by``)."""
    return service.list_microcredentials(session, services, principal, page, key=key, status=status)


@router.get("/{microcredential_id}", response_model=MicroCredentialRead,
            responses=responses(service.UnknownMicroCredential))
def get_microcredential(microcredential_id: uuid.UUID, session: SessionDep, services: ServicesDep,
                        principal: CurrentPrincipal) -> MicroCredentialRead:
    """One version of a micro-credential (educators cannot see drafts), with the state agencies whose vetting
    of it verifies now (``vetted_by``)."""
    return service.get(session, services, principal, microcredential_id)


@router.patch("/{microcredential_id}", response_model=MicroCredentialRead,
              responses=responses(Forbidden, service.UnknownMicroCredential, service.PublishedImmutable, Invalid))
def update_microcredential(microcredential_id: uuid.UUID, body: MicroCredentialChanges, session: SessionDep,
                           admin: Admin) -> MicroCredentialRead:
    """Edit a draft (admins); only the fields sent change. A published version answers 409
    ``published-immutable``: make a new version with ``POST .../versions`` instead."""
    return service.update(session, admin, microcredential_id, body)


@router.post("/{microcredential_id}/publish", response_model=MicroCredentialRead,
             responses=responses(Forbidden, service.UnknownMicroCredential, service.NotADraft, service.Incomplete,
                                 service.Nonconformant))
def publish_microcredential(microcredential_id: uuid.UUID, session: SessionDep, services: ServicesDep,
                            admin: Admin) -> MicroCredentialRead:
    """Publish a draft (admins) after checking it is complete: at least one requirement; a rubric with at least
    two levels (lowest first) and one criterion, each criterion requiring one of the levels; unique keys. And
    conformant: a sample credential built from it must validate against the unmodified 1EdTech Open Badges
    3.0 schema and the VC data model, and be signable (422 ``nonconformant-microcredential`` lists why not)."""
    return service.publish(session, admin, microcredential_id, services.settings.public_base_url)


@router.post("/{microcredential_id}/versions", status_code=201, response_model=MicroCredentialRead,
             responses=responses(Forbidden, service.UnknownMicroCredential, service.NotPublished,
                                 service.VersionRace, service.Incomplete, service.Nonconformant))
def create_version(microcredential_id: uuid.UUID, body: MicroCredentialChanges, session: SessionDep,
                   services: ServicesDep, admin: Admin) -> MicroCredentialRead:
    """Make and publish the next version of this micro-credential's key (admins): a copy of the newest
    version with the changes in the body, checked as ``publish`` checks a draft. Earlier versions stay
    published (credentials name them) but new attempts start only on the newest."""
    return service.new_version(session, admin, microcredential_id, body, services.settings.public_base_url)
