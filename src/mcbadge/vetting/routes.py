"""Vetting over HTTP: nominations and the agency's review (``/api/v1/vetting/nominations``), endorsements
(``/api/v1/vetting/endorsements``), and each endorsement served to anyone at its id
(``/issuers/{agency}/endorsements/{id}``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse

from ..api.auth import CurrentPrincipal, require
from ..api.deps import PageDep, ServicesDep, SessionDep
from ..api.problems import responses
from ..db.models import NominationStatus, Role
from ..errors import Forbidden, Invalid
from ..features import Page
from ..principal import Principal
from ..recognition.service import NotAStateAgency, UnknownMicroCredential
from . import service
from .schemas import Acceptance, Declination, EndorsementRead, NominationCreate, NominationRead, VettingRequest, Withdrawal

__all__ = ["public_router", "router"]

router = APIRouter(prefix="/api/v1/vetting", tags=["vetting"])
public_router = APIRouter(tags=["vetting"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Nominator = Annotated[Principal, Depends(require(Role.ADMIN, Role.EDUCATOR))]
Slug = Annotated[str, Path(max_length=64)]


@router.post("/nominations", status_code=201, response_model=NominationRead,
             responses={200: {"description": "Already nominated by you and pending: that nomination",
                              "model": NominationRead},
                        **responses(Forbidden, service.NotTheIssuer, service.UnknownAgency, UnknownMicroCredential,
                                    service.AlreadyVetted, Invalid)})
def nominate(body: NominationCreate, response: Response, session: SessionDep, services: ServicesDep,
             principal: Nominator) -> NominationRead:
    """Nominate a published micro-credential version for vetting by a state agency of this service, with a
    note for its reviewer: an admin of the micro-credential's issuer, or an educator. 201, or 200 with your
    pending nomination of the same version to the same agency."""
    nomination, created = service.nominate(session, services, principal, body)
    response.status_code = 201 if created else 200
    return nomination


@router.get("/nominations", response_model=Page[NominationRead], responses=responses())
def list_nominations(
    session: SessionDep, services: ServicesDep, principal: CurrentPrincipal, page: PageDep,
    status: Annotated[NominationStatus | None, Query(description="Only nominations in this status.")] = None,
    received: Annotated[bool | None, Query(description="true: only those made to your agency (its reviewers); "
                                                       "false: only those your side made.")] = None,
) -> Page[NominationRead]:
    """The nominations you may read, newest first: those made to your state agency (admins: its reviewers)
    and those you made (admins: your issuer's people), with their outcome."""
    return service.list_nominations(session, services, principal, page, status=status, received=received)


@router.get("/nominations/{nomination_id}", response_model=NominationRead,
            responses=responses(service.NominationNotFound))
def get_nomination(nomination_id: uuid.UUID, session: SessionDep, services: ServicesDep,
                   principal: CurrentPrincipal) -> NominationRead:
    """One nomination and its outcome (accepted with the endorsement, or declined with reasons)."""
    return service.get_nomination(session, services, principal, nomination_id)


@router.post("/nominations/{nomination_id}/accept", response_model=NominationRead,
             responses=responses(Forbidden, NotAStateAgency, service.NominationNotFound, service.NominationDecided,
                                 Invalid))
def accept_nomination(nomination_id: uuid.UUID, session: SessionDep, services: ServicesDep, admin: Admin,
                      body: Acceptance | None = None) -> NominationRead:
    """Accept a nomination (admins of the state agency): the version is vetted with a signed endorsement
    (or the one in force is kept). Idempotent."""
    return service.accept(session, services, admin, nomination_id, body or Acceptance())


@router.post("/nominations/{nomination_id}/decline", response_model=NominationRead,
             responses=responses(Forbidden, NotAStateAgency, service.NominationNotFound, service.NominationDecided,
                                 Invalid))
def decline_nomination(nomination_id: uuid.UUID, body: Declination, session: SessionDep, services: ServicesDep,
                       admin: Admin) -> NominationRead:
    """Decline a nomination with reasons the nominator will read (admins of the state agency)."""
    return service.decline(session, services, admin, nomination_id, body)


@router.post("/endorsements", status_code=201, response_model=EndorsementRead,
             responses={200: {"description": "Already vetted: the endorsement in force", "model": EndorsementRead},
                        **responses(Forbidden, NotAStateAgency, UnknownMicroCredential, Invalid)})
def vet(body: VettingRequest, response: Response, session: SessionDep, services: ServicesDep,
        admin: Admin) -> EndorsementRead:
    """Vet a micro-credential version directly (admins of a state agency): an OB 3.0 EndorsementCredential
    bound to the digest of that version's definition, signed with the agency's key, with a revocation entry.
    201, or 200 with the endorsement already in force. Pending nominations of the version are accepted."""
    endorsement, created = service.vet(session, services, admin, body)
    response.status_code = 201 if created else 200
    return endorsement


@router.get("/endorsements", response_model=Page[EndorsementRead], responses=responses(Forbidden, NotAStateAgency))
def list_endorsements(session: SessionDep, services: ServicesDep, admin: Admin,
                      page: PageDep) -> Page[EndorsementRead]:
    """The agency's endorsements, newest first, withdrawn ones included (admins of a state agency)."""
    return service.list_endorsements(session, services, admin, page)


@router.post("/endorsements/{endorsement_id}/withdraw", response_model=EndorsementRead,
             responses=responses(Forbidden, NotAStateAgency, service.EndorsementNotFound, Invalid))
def withdraw(endorsement_id: uuid.UUID, session: SessionDep, services: ServicesDep, admin: Admin,
             body: Withdrawal | None = None) -> EndorsementRead:
    """Withdraw an endorsement (admins of its agency): its revocation bit is set, so it stops verifying and
    the "vetted by" label disappears. Idempotent."""
    return service.withdraw(session, services, admin, endorsement_id, body or Withdrawal())


@public_router.get("/issuers/{slug}/endorsements/{endorsement_id}",
                   responses=responses(service.EndorsementNotFound, public=True))
def endorsement(slug: Slug, endorsement_id: uuid.UUID, session: SessionDep) -> JSONResponse:
    """A state agency's vetting endorsement, by the id its credential carries (its status says whether it
    was withdrawn)."""
    return JSONResponse(service.endorsement_document(session, slug, endorsement_id),
                        media_type="application/ld+json", headers={"Cache-Control": "public, max-age=300"})
