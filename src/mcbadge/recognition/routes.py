"""Recognition registries over HTTP: state agencies publish and withdraw (``/api/v1/recognition-registries``),
anyone reads them (``/issuers/{slug}/recognition-registry``) and the context that defines their terms
(``/contexts/recognition/v1``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from fastapi.responses import JSONResponse, Response

from ..api.auth import require
from ..api.deps import ServicesDep, SessionDep
from ..api.problems import responses
from ..db.models import Role
from ..errors import Forbidden, Invalid
from ..principal import Principal
from ..vc.contexts import RECOGNITION_V1, pinned_bytes
from . import service
from .schemas import RegistryPublish, RegistryRead

__all__ = ["CONTEXT_PATH", "public_router", "router"]

router = APIRouter(prefix="/api/v1/recognition-registries", tags=["recognition"])
public_router = APIRouter(tags=["recognition"])

Admin = Annotated[Principal, Depends(require(Role.ADMIN))]
Slug = Annotated[str, Path(max_length=64)]

CONTEXT_PATH = "/contexts/recognition/v1"
"""Where this service publishes ``RECOGNITION_V1`` (a deployment points https://w3id.org/mcbadge/recognition/v1
here)."""


@router.post("", status_code=201, response_model=RegistryRead,
             responses=responses(service.NotAStateAgency, service.UnknownMicroCredential, Invalid))
def publish_registry(body: RegistryPublish, session: SessionDep, services: ServicesDep, admin: Admin) -> RegistryRead:
    """Publish the agency's recognition registry (admins of a state agency): signed with its key, with a
    status entry to withdraw it; it becomes the agency's current registry."""
    return service.publish(session, services, admin, body)


@router.post("/{registry_id}/withdraw", response_model=RegistryRead,
             responses=responses(Forbidden, service.NotAStateAgency, service.RegistryNotFound))
def withdraw_registry(registry_id: uuid.UUID, session: SessionDep, services: ServicesDep, admin: Admin) -> RegistryRead:
    """Withdraw a registry (admins): its revocation bit is set, so verifiers stop using it. Idempotent."""
    return service.withdraw(session, services, admin, registry_id)


_CACHE = {"Cache-Control": "public, max-age=300"}


@public_router.get("/issuers/{slug}/recognition-registry", responses=responses(service.RegistryNotFound, public=True))
def current_registry(slug: Slug, session: SessionDep) -> JSONResponse:
    """The agency's current (newest) recognition registry, a signed credential; its status says if it was
    withdrawn."""
    return JSONResponse(service.current_registry(session, slug), media_type="application/ld+json", headers=_CACHE)


@public_router.get("/issuers/{slug}/recognition-registries/{registry_id}",
                   responses=responses(service.RegistryNotFound, public=True))
def registry(slug: Slug, registry_id: uuid.UUID, session: SessionDep) -> JSONResponse:
    """One recognition registry, by the id its credential carries."""
    return JSONResponse(service.registry_document(session, slug, registry_id), media_type="application/ld+json",
                        headers=_CACHE)


_CONTEXT = pinned_bytes(RECOGNITION_V1)


@public_router.get(CONTEXT_PATH, response_class=Response,
                   responses={200: {"content": {"application/ld+json": {}},
                                    "description": "The pinned context, byte for byte"}})
def recognition_context() -> Response:
    """The JSON-LD context of recognition registries (https://w3id.org/mcbadge/recognition/v1), exactly the
    pinned bytes the library signs and verifies with; it never changes, so it may be cached for long."""
    return Response(_CONTEXT, media_type="application/ld+json",
                    headers={"Cache-Control": "public, max-age=31536000, immutable"})
