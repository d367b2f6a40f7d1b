"""``/api/v1/issuer``: the caller's issuer profile and award rules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from ..api.auth import CurrentPrincipal, Principal, require
from ..api.deps import ServicesDep, SessionDep
from ..db.models import Role
from ..errors import Forbidden, Invalid
from ..features import responses
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
