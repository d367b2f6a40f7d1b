"""The 1EdTech Open Badges 3.0 API, under ``/ims/ob/v3p0/``.

================================  =====================================================  =====================
``GET /discovery``                the Service Description Document                       (no token)
``GET /credentials``              getCredentials: the earner's credentials, paginated    credential.readonly
``POST /credentials``             upsertCredential: JSON or compact JWT (text/plain)      credential.upsert
``GET /profile``                  getProfile                                             profile.readonly
``PUT /profile``                  putProfile                                             profile.update
================================  =====================================================  =====================

Tokens come from mcbadge's OAuth 2.0 server (``mcbadge.oauth``). Every error is an ``Imsx_StatusInfo``
(``obapi.errors``): 401 for a missing, expired or revoked token, 403 for a missing scope.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, PlainTextResponse

from ..api.bearer import TokenPrincipal, require_scopes
from ..api.deps import ServicesDep, SessionDep
from ..api.input_checks import json_body
from ..features import MAX_OFFSET
from ..limits import check_credential
from ..vc.json_values import as_list
from ..oauth.scopes import (
    OB_CREDENTIAL_READONLY,
    OB_CREDENTIAL_UPSERT,
    OB_PROFILE_READONLY,
    OB_PROFILE_UPDATE,
)
from . import service
from .discovery import API_PATH, service_description
from .errors import ImsxError, ImsxRoute

__all__ = ["router"]

router = APIRouter(prefix=API_PATH, tags=["Open Badges 3.0 API"], route_class=ImsxRoute)

IMSX = {"description": "An Imsx_StatusInfo", "content": {"application/json": {}}}
ERRORS: dict[int | str, dict[str, Any]] = {status: IMSX for status in (400, 401, 403, 405, 500)}
MAX_LIMIT = 200
DEFAULT_LIMIT = 50
_ALLOWED = {"credentials": "GET, POST", "profile": "GET, PUT", "discovery": "GET"}

Reader = Annotated[TokenPrincipal, Depends(require_scopes(OB_CREDENTIAL_READONLY))]
Upserter = Annotated[TokenPrincipal, Depends(require_scopes(OB_CREDENTIAL_UPSERT))]
ProfileReader = Annotated[TokenPrincipal, Depends(require_scopes(OB_PROFILE_READONLY))]
ProfileUpdater = Annotated[TokenPrincipal, Depends(require_scopes(OB_PROFILE_UPDATE))]


@router.get("/discovery", responses={"default": IMSX})
def get_service_description(services: ServicesDep) -> dict[str, Any]:
    """getServiceDescription: the OpenAPI document of this API with its OAuth 2.0 security scheme."""
    return service_description(services.settings)


def _links(base: str, *, limit: int, offset: int, total: int, since: str | None) -> str:
    def url(at: int) -> str:
        query = {"limit": limit, "offset": at, **({"since": since} if since else {})}
        return f"{base}?{urlencode(query)}"

    last = max(0, (total - 1) // limit * limit) if total else 0
    links = []
    if offset + limit < total:
        links.append(f'<{url(offset + limit)}>; rel="next"')
    links.append(f'<{url(last)}>; rel="last"')
    links.append(f'<{url(0)}>; rel="first"')
    if offset > 0:
        links.append(f'<{url(max(0, offset - limit))}>; rel="prev"')
    return ", ".join(links)


@router.get("/credentials", responses=ERRORS)
def get_credentials(
    session: SessionDep,
    services: ServicesDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="How many credentials per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET,
                                 description="Index of the first credential to return (zero based).")] = 0,
    since: Annotated[datetime | None, Query(description="Only credentials issued after this time.")] = None,
) -> JSONResponse:
    """getCredentials: the credentials of the token's person, those issued here and those they stored,
    oldest first. ``X-Total-Count`` and ``Link`` (next, last, first, prev) describe the pages."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)  # the spec's example form has no offset: read it as UTC
    page = service.list_credentials(session, principal.person_id, limit=limit, offset=offset, since=since)
    body: dict[str, Any] = {"credential": page.credential, "compactJwsString": page.compact_jws}
    base = services.settings.public_base_url + API_PATH + "/credentials"
    headers = {"X-Total-Count": str(page.total),
               "Link": _links(base, limit=limit, offset=offset, total=page.total,
                              since=since.isoformat() if since else None)}
    return JSONResponse(body, headers=headers)


async def _read_upsert_body(request: Request) -> dict[str, Any] | str:
    """The credential of an upsert (a JSON object, or a VC-JWT as text/plain), held to ``mcbadge.limits``."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "text/plain":
        try:
            token = (await request.body()).decode("utf-8").strip()
        except UnicodeDecodeError:
            raise ImsxError(400, "invalid_data", "the body is not UTF-8 text") from None
        if not token or token.count(".") != 2 or any(c.isspace() for c in token):
            raise ImsxError(400, "invalid_data", "a text/plain body must be one compact JWS (a VC-JWT)")
        check_credential(token)
        return token
    if media in ("application/json", "application/ld+json", "application/vc+ld+json") or media.endswith("+json"):
        value = await json_body(request)  # read and checked once (api.input_checks)
        if not isinstance(value, dict):
            raise ImsxError(400, "invalid_data", "the body must be a JSON object (an AchievementCredential)")
        if "EnvelopedVerifiableCredential" in as_list(value.get("type")):
            # Not the spec's JSON body (an AchievementCredential): stored as JSON, it would be kept and served
            # without its proof (the JWT's payload). The spec's form of a VC-JWT is text/plain.
            raise ImsxError(400, "invalid_data", "send a VC-JWT as text/plain, not enveloped in JSON")
        check_credential(value)
        return value
    raise ImsxError(400, "invalid_data",
                    "send the credential as application/json, or a VC-JWT as text/plain")


@router.post("/credentials", status_code=201, responses={200: {"description": "Replaced"}, 201: {"description": "Stored"},
                                                          **ERRORS})
async def upsert_credential(request: Request, session: SessionDep, services: ServicesDep,
                            principal: Upserter) -> Response:
    """upsertCredential: store a credential issued elsewhere, for the token's person. It is verified first
    (signature, issuer key, schema, validity, status); a credential that fails is refused with 400 and the
    failing checks. 201 when new, 200 when it replaced one with the same ``id``; the body is the credential."""
    value = await _read_upsert_body(request)
    result = await run_in_threadpool(service.upsert_credential, session, services, principal.person_id, value)
    status = 201 if result.created else 200
    if isinstance(value, str):
        return PlainTextResponse(value, status_code=status)
    return JSONResponse(value, status_code=status)


@router.get("/profile", responses={404: IMSX, **ERRORS})
def get_profile(session: SessionDep, principal: ProfileReader) -> dict[str, Any]:
    """getProfile: the token's person as an OB Profile."""
    return service.get_profile(session, principal.person_id)


@router.put("/profile", responses={404: IMSX, **ERRORS})
async def put_profile(request: Request, session: SessionDep, principal: ProfileUpdater) -> dict[str, Any]:
    """putProfile: replace the person's profile (``name`` and ``email`` update the person; the other OB
    Profile members are kept as given). The ``id`` must be the one getProfile returns."""
    body = await json_body(request)  # read and checked once (api.input_checks), whatever its content type
    return await run_in_threadpool(service.put_profile, session, principal.person_id, body)


@router.api_route("/{rest:path}", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                  include_in_schema=False)
def not_found_or_not_allowed(rest: str) -> Response:
    """Anything else under the OB API: 405 (with ``Allow``) for a known path, 404 otherwise."""
    allowed = _ALLOWED.get(rest.strip("/"))
    if allowed:
        raise ImsxError(405, "not_allowed", f"this method is not allowed here; use {allowed}", {"Allow": allowed})
    raise ImsxError(404, "not_found", f"no such endpoint in the Open Badges 3.0 API: {API_PATH}/{rest}")
