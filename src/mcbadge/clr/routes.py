"""CLR 2.0 over HTTP: ``POST /api/v1/clrs`` (an educator, or an admin for one of their educators: a signed
``ClrCredential`` of chosen credentials) and ``POST /api/v1/clrs/verify`` (anyone: the CLR and each credential in
it verified, revoked ones named)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from ..api.auth import require
from ..api.deps import ServicesDep, SessionDep
from ..api.input_checks import json_body
from ..api.problems import responses
from ..credentials.service import CredentialNotFound, CredentialRevoked
from ..db.models import Role
from ..errors import Forbidden
from ..principal import Principal
from . import service
from .schemas import ClrCreate

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/clrs", tags=["clr"])

Maker = Annotated[Principal, Depends(require(Role.ADMIN, Role.EDUCATOR))]


_SIGNED_CLR: dict[int | str, dict[str, Any]] = {201: {
    "description": "The signed ClrCredential", "content": {"application/ld+json": {"schema": {"type": "object"}}}}}
_CLR_BODY: dict[str, Any] = {"requestBody": {"required": True, "description": "A ClrCredential, as JSON",
                                             "content": {"application/json": {"schema": {"type": "object"}}}}}


_ERRORS = responses(Forbidden, CredentialNotFound, CredentialRevoked, service.NotEmbeddable, service.UnknownEducator,
                    service.TooManyCredentials)


@router.post("", status_code=201, response_class=JSONResponse, responses={**_SIGNED_CLR, **_ERRORS})
def create_clr(body: ClrCreate, session: SessionDep, services: ServicesDep, maker: Maker) -> JSONResponse:
    """A signed CLR 2.0 ``ClrCredential`` of an educator's chosen credentials (each embedded as issued), from
    this issuer. Educators: their own; admins: an educator of theirs (``educator_id``)."""
    document = service.make_clr(session, services, maker, service.ClrRequest(
        credential_ids=body.credential_ids, name=body.name, description=body.description,
        educator_id=body.educator_id))
    return JSONResponse(document, status_code=201, media_type="application/ld+json")


@router.post("/verify", openapi_extra=_CLR_BODY,
             responses=responses(service.NotAClr, service.TooManyCredentials, public=True))
async def verify_clr(request: Request, services: ServicesDep) -> dict[str, Any]:
    """Verify a CLR (the JSON body): its own signature, issuer and validity, then each credential in it in its
    own right (a credential revoked since the CLR was signed fails, and is listed in ``revoked``)."""
    document = await json_body(request)  # read and checked once (api.input_checks)
    return await run_in_threadpool(service.verify_clr, services, document)
