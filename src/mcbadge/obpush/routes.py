"""Pushing credentials to another host's OB 3.0 API over HTTP.

=================================================  =============================================================
``POST /api/v1/ob-connections``                    an educator connects their account at another host: 201 with
                                                   the host's authorization URL to open
``GET /ob-connections/callback``                   where the host sends the educator back (a page)
``POST /api/v1/ob-connections/{id}/push``          the issuer's admin (or the educator) pushes credentials: the
                                                   other host's answer for each
=================================================  =============================================================
"""

from __future__ import annotations

import html
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from ..api.auth import require
from ..api.deps import ServicesDep, SessionDep
from ..api.problems import domain_status, responses
from ..credentials.service import CredentialNotFound
from ..db.models import Role
from ..errors import DomainError, Forbidden, Invalid
from ..principal import Principal
from . import service
from .schemas import ConnectionStarted, ConnectRequest, PushRequest, PushResultRead

__all__ = ["router"]

router = APIRouter(tags=["ob-push"])

Educator = Annotated[Principal, Depends(require(Role.EDUCATOR))]
Pusher = Annotated[Principal, Depends(require(Role.ADMIN, Role.EDUCATOR))]
_PAGE_HEADERS = {"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
                 "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@router.post("/api/v1/ob-connections", status_code=201, response_model=ConnectionStarted,
             responses=responses(Forbidden, service.HostFailed))
def connect(body: ConnectRequest, session: SessionDep, services: ServicesDep, educator: Educator) -> ConnectionStarted:
    """Connect your account at another host's OB 3.0 API (educators): this service registers there as a client;
    open ``authorization_url`` and approve it on that host."""
    return ConnectionStarted.of(service.connect(session, services, educator, body.host))


@router.get(service.CALLBACK_PATH, include_in_schema=False)
def callback(session: SessionDep, services: ServicesDep,
             state: Annotated[str, Query(max_length=200)] = "", code: Annotated[str | None, Query(max_length=2000)] = None,
             error: Annotated[str | None, Query(max_length=200)] = None) -> HTMLResponse:
    """The other host's redirect after the educator approved (or denied) this service."""
    try:
        connection = service.complete(session, services, state=state, code=code, error=error)
    except DomainError as exc:
        return HTMLResponse(f"<!doctype html><title>Not connected</title><h1>Not connected</h1><p>{html.escape(exc.detail)}"
                            "</p>", status_code=domain_status(exc), headers=_PAGE_HEADERS)
    return HTMLResponse(f"<!doctype html><title>Connected</title><h1>Connected</h1><p>Your account at "
                        f"{html.escape(connection.host)} can now receive your credentials from this service. "
                        "You can close this page.</p>", headers=_PAGE_HEADERS)


@router.post("/api/v1/ob-connections/{connection_id}/push", response_model=list[PushResultRead],
             responses=responses(Forbidden, Invalid, service.ConnectionNotFound, service.NotConnected,
                                 CredentialNotFound, service.HostFailed))
async def push(connection_id: uuid.UUID, body: PushRequest, session: SessionDep, services: ServicesDep,
               pusher: Pusher) -> list[PushResultRead]:
    """Push credentials to the connection's host (upsertCredential each): the issuer's admins, or the educator.
    The host verifies each before storing it; ``refused`` carries its reason (a revoked credential, a token
    without the ``credential.upsert`` scope)."""
    results = await run_in_threadpool(service.push, session, services, pusher, connection_id, body.credential_ids)
    return [PushResultRead.of(r) for r in results]
