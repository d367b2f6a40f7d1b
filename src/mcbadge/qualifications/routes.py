"""Assessor qualifications over HTTP: ``/api/v1/qualifications`` (admins read and revoke them; assessors read
their own and choose whether they are named), and each qualification credential served to anyone at its id
(``/issuers/{slug}/qualifications/{id}``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from ..api.auth import CurrentPrincipal, require
from ..api.deps import PageDep, ServicesDep, SessionDep
from ..api.problems import responses
from ..catalog.schemas import Key
from ..db.models import Role
from ..errors import Forbidden, Invalid
from ..features import Page
from ..principal import Principal
from . import service
from .schemas import NamePreference, NamePreferenceRead, QualificationRead, QualificationRevocation

__all__ = ["public_router", "router"]

router = APIRouter(prefix="/api/v1/qualifications", tags=["qualifications"])
public_router = APIRouter(tags=["qualifications"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Assessor = Annotated[Principal, Depends(require(Role.ASSESSOR))]
Slug = Annotated[str, Path(max_length=64)]


@router.get("", response_model=Page[QualificationRead], responses=responses(Forbidden))
def list_qualifications(
    session: SessionDep, services: ServicesDep, principal: CurrentPrincipal, page: PageDep,
    assessor_id: Annotated[uuid.UUID | None, Query(description="Only this assessor's (admins).")] = None,
    key: Annotated[Key | None, Query(description="Only for this micro-credential key.")] = None,
    current: Annotated[bool | None, Query(description="Only current (true) or lapsed and revoked (false) ones.")] = None,
) -> Page[QualificationRead]:
    """The issuer's assessor qualifications (admins), or the caller's own (assessors), newest first."""
    return service.list_qualifications(session, services, principal, page, assessor_id=assessor_id, key=key,
                                       current=current)


@router.put("/name-preference", response_model=NamePreferenceRead, responses=responses(Forbidden))
def set_name_preference(body: NamePreference, session: SessionDep, assessor: Assessor) -> NamePreferenceRead:
    """Whether qualifications and awards issued from now on name you (assessors); by default they name you
    only by a pseudonym that nobody but your issuer can link to you. Credentials already signed stay as they are."""
    return service.set_name_preference(session, assessor, body)


# {qualification_id:uuid}: /name-preference is another route's path (GET there is 405, not a bad id).
@router.get("/{qualification_id:uuid}", response_model=QualificationRead,
            responses=responses(Forbidden, service.QualificationNotFound))
def get_qualification(qualification_id: uuid.UUID, session: SessionDep, services: ServicesDep,
                      principal: CurrentPrincipal) -> QualificationRead:
    """One qualification (admins; the assessor who holds it)."""
    return service.get_qualification(session, services, principal, qualification_id)


@router.post("/{qualification_id}/revoke", response_model=QualificationRead,
             responses=responses(Forbidden, service.QualificationNotFound, service.InvalidRevocationDate, Invalid))
def revoke_qualification(qualification_id: uuid.UUID, body: QualificationRevocation, session: SessionDep,
                         services: ServicesDep, admin: Admin) -> QualificationRead:
    """Revoke a qualification (admins), from now or from an earlier moment (``effective_from``). Verifiers of
    the awards it scored then report it: a warning with the date for assessments before it, a failed check for
    assessments from then on. Idempotent."""
    return service.revoke(session, services, admin, qualification_id, body)


@public_router.get("/issuers/{slug}/qualifications/{qualification_id}",
                   responses=responses(service.QualificationNotFound, public=True))
def qualification(slug: Slug, qualification_id: uuid.UUID, session: SessionDep) -> Response:
    """An assessor qualification credential, by the id awards cite, as the exact RFC 8785 bytes their digest
    covers (its status says whether it was revoked)."""
    document = service.qualification_document(session, slug, qualification_id)
    return Response(service.served_bytes(document), media_type="application/ld+json",
                    headers={"Cache-Control": "public, max-age=300"})
