"""``/api/v1/stacks``: define stacks (admins), add other issuers' credentials (educators), decide and approve
designations."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends

from ..api.auth import CurrentPrincipal, require
from ..api.deps import PageDep, ServicesDep, SessionDep
from ..api.problems import responses
from ..db.models import Role
from ..errors import Forbidden, Invalid
from ..features import Page
from ..limits import check_credential
from ..principal import Principal
from . import service
from .schemas import DesignationRead, Evaluate, ExternalCredentialAdd, ExternalCredentialRead, StackChanges, StackCreate, StackRead

router = APIRouter(prefix="/api/v1/stacks", tags=["stacks"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


@router.post("", status_code=201, response_model=StackRead, responses=responses(Forbidden, service.KeyTaken, Invalid))
def create_stack(body: StackCreate, session: SessionDep, services: ServicesDep, admin: Admin) -> StackRead:
    """Create a stack as draft version 1 of its ``key`` (admins). Publish it when complete."""
    return service.create(session, admin, services.settings.public_base_url, body)


@router.get("", response_model=Page[StackRead], responses=responses())
def list_stacks(session: SessionDep, services: ServicesDep, principal: CurrentPrincipal,
                page: PageDep) -> Page[StackRead]:
    """The issuer's stack versions (drafts: admins only)."""
    return service.list_stacks(session, principal, services.settings.public_base_url, page)


@router.post("/external-credentials", status_code=200, response_model=ExternalCredentialRead,
             responses=responses(Forbidden, service.ExternalCredentialRefused, Invalid))
def add_external_credential(body: ExternalCredentialAdd, session: SessionDep, services: ServicesDep,
                            principal: CurrentPrincipal) -> ExternalCredentialRead:
    """Add another issuer's credential (JSON or compact VC-JWT) to the caller's record (educators). It is
    verified first and refused (422) if it does not verify; then the caller's designations are decided."""
    check_credential(body.credential, at="/credential")  # before any expensive step (mcbadge.limits)
    upserted, designations = service.add_external_credential(session, services, principal, body.credential)
    return ExternalCredentialRead(credential_id=upserted.credential_id, created=upserted.created,
                                  designations=designations)


@router.get("/designations", response_model=Page[DesignationRead], responses=responses(Forbidden))
def list_designations(session: SessionDep, principal: CurrentPrincipal, page: PageDep) -> Page[DesignationRead]:
    """Designations: the issuer's (admins) or the caller's own (educators)."""
    return service.list_designations(session, principal, page)


@router.post("/designations/evaluate", response_model=list[DesignationRead],
             responses=responses(Forbidden, service.UnknownDesignation, Invalid))
def evaluate(session: SessionDep, services: ServicesDep, principal: CurrentPrincipal,
             body: Evaluate | None = None) -> list[DesignationRead]:
    """Decide the current stacks for an educator now (idempotent); the designations that exist after it."""
    return service.evaluate(session, services, principal, (body or Evaluate()).educator_id)


@router.post("/designations/recheck", response_model=list[DesignationRead], responses=responses(Forbidden))
def recheck(session: SessionDep, services: ServicesDep, admin: Admin) -> list[DesignationRead]:
    """Check the components of every awarded designation again now (admins): designations whose stack no
    longer holds (another issuer revoked a component, one expired) are suspended, those that hold again are
    reinstated. The designations that changed. ``mcbadge designations recheck`` does the same on a schedule."""
    return service.recheck(session, services, admin.issuer_id, admin.person_id)


@router.post("/designations/{designation_id}/approve", response_model=DesignationRead,
             responses=responses(Forbidden, service.UnknownDesignation, service.NotComplete))
def approve(designation_id: uuid.UUID, session: SessionDep, services: ServicesDep, admin: Admin) -> DesignationRead:
    """Approve a pending designation (admins): components are checked again, then the credential is issued."""
    return service.approve(session, services, admin, designation_id)


# {stack_id:uuid}: a path that is not a UUID (designations, external-credentials) is another route's, so a
# method it lacks gets 405 there, not this route's 422 for a bad id.
@router.get("/{stack_id:uuid}", response_model=StackRead, responses=responses(service.UnknownStack))
def get_stack(stack_id: uuid.UUID, session: SessionDep, services: ServicesDep,
              principal: CurrentPrincipal) -> StackRead:
    """One stack version."""
    return service.get(session, principal, services.settings.public_base_url, stack_id)


@router.put("/{stack_id:uuid}", response_model=StackRead,
            responses=responses(Forbidden, service.UnknownStack, service.PublishedImmutable, Invalid))
def update_stack(stack_id: uuid.UUID, body: StackChanges, session: SessionDep, services: ServicesDep,
                 admin: Admin) -> StackRead:
    """Replace a draft's content (admins); a published version answers 409."""
    return service.update(session, admin, services.settings.public_base_url, stack_id, body)


@router.post("/{stack_id}/publish", response_model=StackRead,
             responses=responses(Forbidden, service.UnknownStack, service.NotADraft, service.UnknownComponent))
def publish_stack(stack_id: uuid.UUID, session: SessionDep, services: ServicesDep, admin: Admin) -> StackRead:
    """Publish a draft (admins) after checking its local components name published micro-credential versions."""
    return service.publish(session, admin, services.settings.public_base_url, stack_id)


@router.post("/{stack_id}/versions", status_code=201, response_model=StackRead,
             responses=responses(Forbidden, service.UnknownStack, service.NotADraft, service.UnknownComponent))
def create_version(stack_id: uuid.UUID, body: StackChanges, session: SessionDep, services: ServicesDep,
                   admin: Admin) -> StackRead:
    """Make and publish the next version of this stack's key with the body as its content (admins)."""
    return service.new_version(session, admin, services.settings.public_base_url, stack_id, body)
