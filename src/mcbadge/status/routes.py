"""``GET /issuers/{slug}/status/{purpose}/{seq}``: an issuer's signed Bitstring Status List credential
(and :func:`list_response`, how the VC API's ``GET /status-lists/{key}`` serves its lists too).

Public, cacheable by any HTTP cache or CDN: ``Cache-Control: public, max-age=N`` (``MCBADGE_STATUS_LIST_MAX_AGE``,
300 s by default) and a strong ``ETag``
(SHA-256 of the exact bytes served); ``If-None-Match`` gets 304. The server keeps no cache of its own:
every request reads the database, so a revocation is in the very next response.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response

from ..api.deps import ServicesDep, SessionDep
from ..api.problems import responses
from . import service

__all__ = ["list_response", "router"]

router = APIRouter(tags=["status"])


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    # RFC 9110 §13.1.2: If-None-Match uses the weak comparison, so W/"x" matches "x".
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


@router.get(
    "/issuers/{slug}/status/{purpose}/{seq}",
    responses={
        200: {"description": "The signed BitstringStatusListCredential", "content": {"application/ld+json": {}}},
        304: {"description": "Not modified since the ETag given in If-None-Match"},
        **responses(service.StatusListNotFound, public=True),
    },
)
def get_status_list(
    slug: Annotated[str, Path(max_length=64)],
    purpose: Annotated[str, Path(max_length=32)],
    seq: Annotated[int, Path(ge=1, le=2**31 - 1)],
    request: Request,
    session: SessionDep,
    services: ServicesDep,
) -> Response:
    """A signed status list of the issuer (``revocation`` or ``suspension``), re-signed only when it changed."""
    signed = service.signed_list(session, service.NumberedList(slug, purpose, seq), keystore=services.keystore,
                                 public_base_url=services.settings.public_base_url)
    return list_response(signed, request, max_age=services.settings.status_list_max_age)


def list_response(signed: Mapping[str, Any], request: Request, *, max_age: int) -> Response:
    """A signed list credential as served at its URL (both kinds of list): the exact bytes, a strong ETag,
    public caching for ``max_age`` seconds, 304 for a matching ``If-None-Match``."""
    body = json.dumps(signed, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    etag = _etag(body)
    headers = {"Cache-Control": f"public, max-age={max_age}", "ETag": etag}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/ld+json", headers=headers)
