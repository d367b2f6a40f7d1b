"""``/api/v1/issuer``: the caller's issuer profile and award rules; ``/issuers/{slug}/did.json``: its DID document."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse

from ..api.auth import CurrentPrincipal, require
from ..api.deps import ServicesDep, SessionDep
from ..api.problems import responses
from ..db.models import Role
from ..errors import Forbidden, Invalid
from ..identity import did_document
from ..principal import Principal
from . import service
from .schemas import IssuerRead, IssuerUpdate

router = APIRouter(prefix="/api/v1/issuer", tags=["issuer"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


@router.get("", response_model=IssuerRead, responses=responses())
def get_issuer(session: SessionDep, services: ServicesDep, principal: CurrentPrincipal) -> IssuerRead:
    """The caller's issuer: profile, DID, and award rules (any role)."""
    return service.get_issuer(session, principal, services.settings.public_base_url)


@router.patch("", response_model=IssuerRead, responses=responses(Forbidden, Invalid))
def update_issuer(body: IssuerUpdate, session: SessionDep, services: ServicesDep, admin: Admin) -> IssuerRead:
    """Change the profile new credentials show, and the award rules (admins)."""
    return service.update_issuer(session, admin, body, services.settings.public_base_url)


did_router = APIRouter(tags=["issuers"])


@did_router.get(
    "/issuers/{slug}/did.json",
    responses={404: {"description": "Unknown issuer", "content": {"application/problem+json": {}}}},
)
def get_did_document(slug: Annotated[str, Path(max_length=64)], services: ServicesDep) -> JSONResponse:
    """The issuer's DID document (did:web): the keys that sign its credentials, under assertionMethod."""
    document = did_document(services.keystore, services.settings.public_base_url, slug)
    # Verifiers may cache it briefly; a rotation becomes visible within five minutes.
    return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})
