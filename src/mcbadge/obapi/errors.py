"""Errors of the OB 3.0 API as 1EdTech ``Imsx_StatusInfo`` bodies, for this API's routes only.

The rest of mcbadge answers errors with RFC 9457 problem details (``api.problems``). The OB 3.0 API must
answer with ``Imsx_StatusInfo`` instead, so its routes use :class:`ImsxRoute`, which turns every exception
raised by the route or its dependencies into one, and :func:`not_found_or_not_allowed` answers unknown paths
and methods under ``/ims/ob/v3p0/``. No app-wide handler changes.

=========================================  ======  =========================
exception                                  status  imsx_codeMinorFieldValue
=========================================  ======  =========================
ImsxError (raised by this API)             its own its own
InvalidToken / Unauthenticated             401     unauthorizedrequest
InsufficientScope / Forbidden              403     forbidden
NotFound                                   404     not_found
request validation (query)                 400     invalid_query_parameter
request validation (body), Invalid         400     invalid_data
the database is busy or unreachable        503     server_busy
anything else                              500     internal_server_error
=========================================  ======  =========================
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .. import errors as domain

__all__ = ["ImsxError", "ImsxRoute", "imsx_body", "imsx_response"]

log = logging.getLogger(__name__)

CODE_MINOR_FIELD = "TargetEndSystem"
"""``imsx_codeMinorFieldName``: the system that reports the code (1EdTech's customary value)."""


class ImsxError(Exception):
    """An OB 3.0 API error with its HTTP status and ``imsx_codeMinor`` value."""

    def __init__(self, status: int, code_minor: str, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.code_minor = code_minor
        self.description = description
        self.headers = headers or {}


def imsx_body(code_minor: str, description: str, *, code_major: str = "failure", severity: str = "error") -> dict[str, Any]:
    """An ``Imsx_StatusInfo`` object."""
    return {
        "imsx_codeMajor": code_major,
        "imsx_severity": severity,
        "imsx_description": description,
        "imsx_codeMinor": {"imsx_codeMinorField": [
            {"imsx_codeMinorFieldName": CODE_MINOR_FIELD, "imsx_codeMinorFieldValue": code_minor},
        ]},
    }


def imsx_response(status: int, code_minor: str, description: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(imsx_body(code_minor, description), status_code=status, headers=headers)


def _validation(exc: RequestValidationError) -> ImsxError:
    errors = exc.errors()
    where = {str(e.get("loc", ("body",))[0]) for e in errors}
    detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors)
    if where <= {"query", "path"}:
        return ImsxError(400, "invalid_query_parameter", detail or "a query parameter is not valid")
    return ImsxError(400, "invalid_data", detail or "the request is not valid")


def to_imsx(exc: Exception) -> ImsxError:
    """The ``Imsx_StatusInfo`` error for ``exc`` (see the table in the module docstring)."""
    if isinstance(exc, ImsxError):
        return exc
    if isinstance(exc, domain.DomainError):
        challenge = getattr(exc, "www_authenticate", None)
        if isinstance(exc, domain.Unauthenticated):
            return ImsxError(401, "unauthorizedrequest", exc.detail,
                             {"WWW-Authenticate": challenge or 'Bearer realm="mcbadge"'})
        if isinstance(exc, domain.Forbidden):
            return ImsxError(403, "forbidden", exc.detail, {"WWW-Authenticate": challenge} if challenge else None)
        if isinstance(exc, domain.NotFound):
            return ImsxError(404, "not_found", exc.detail)
        return ImsxError(400, "invalid_data", exc.detail)
    if isinstance(exc, RequestValidationError):
        return _validation(exc)
    if isinstance(exc, StarletteHTTPException):
        codes = {401: "unauthorizedrequest", 403: "forbidden", 404: "not_found", 405: "not_allowed"}
        return ImsxError(exc.status_code, codes.get(exc.status_code, "invalid_data"), str(exc.detail))
    if isinstance(exc, OperationalError):
        log.warning("OB API: database unavailable: %s", exc)
        return ImsxError(503, "server_busy", "the service is busy; try again shortly", {"Retry-After": "5"})
    log.exception("OB API: unexpected error", exc_info=exc)
    return ImsxError(500, "internal_server_error", "an unexpected error occurred; it has been logged")


class ImsxRoute(APIRoute):
    """A route whose errors, including its dependencies' and request validation's, are Imsx_StatusInfo."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def imsx_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # noqa: BLE001 - every error of this API is an Imsx_StatusInfo
                error = to_imsx(exc)
                return imsx_response(error.status, error.code_minor, error.description, error.headers)

        return imsx_handler
