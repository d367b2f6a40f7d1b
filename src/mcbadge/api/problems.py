"""Errors as RFC 9457 problem details, mapped in one place.

Every error response of the API is ``application/problem+json`` with ``type``, ``title``, ``status`` and
``detail`` (plus extension members where they help, such as ``errors`` for a request that does not
match its schema). Services and routes raise the domain errors of ``mcbadge.errors`` (the one error
tree); :func:`install` maps each category to its status here, and also request validation failures,
unknown routes, the credential library's errors and anything unexpected. Bad input is never a 500 and never
shows a traceback. :func:`responses` declares a route's error responses in OpenAPI from the same classes.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.applications import Starlette
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import errors as domain
from ..errors import PROBLEM_TYPE_BASE
from ..keystore import KeystoreError
from ..obapi.discovery import API_PATH as OB_API_PATH
from ..obapi.errors import imsx_response
from ..vc.errors import CredentialError
from .input_checks import is_json

__all__ = [
    "PROBLEM_JSON",
    "PROBLEM_TYPE_BASE",
    "BodySizeLimit",
    "domain_problem",
    "domain_status",
    "install",
    "problem_response",
    "responses",
]

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
MIB = 1024 * 1024


def problem_response(
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """The one shape of every error response (RFC 9457 problem details)."""
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extensions}
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only location, message and type: pydantic's "input" would echo the (possibly large) body back,
    # and "ctx" may hold exception objects.
    return [
        {"loc": [str(part) for part in err.get("loc", ())], "msg": str(err.get("msg", "")), "type": err.get("type")}
        for err in exc.errors()
    ]


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if any(err["type"] == "json_invalid" for err in errors):
        where = next(err for err in errors if err["type"] == "json_invalid")
        return problem_response(400, "Bad Request", f"the body is not valid JSON: {where['msg']}",
                                PROBLEM_TYPE_BASE + "malformed-json")
    detail = "; ".join(f"{'.'.join(err['loc'])}: {err['msg']}" for err in errors) or "the request is invalid"
    return problem_response(422, "Unprocessable Content", detail, PROBLEM_TYPE_BASE + "invalid-request",
                            errors=errors)


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = _title(exc.status_code)
    generic = isinstance(exc.detail, str) and exc.detail in (title, HTTPStatus(exc.status_code).phrase)
    detail = exc.detail if isinstance(exc.detail, str) and not generic else f"{request.method} {request.url.path}: {title.lower()}"
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request.app, request.scope))}
    return problem_response(exc.status_code, title, detail, headers=headers)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: Starlette, scope: Scope) -> list[str]:
    """Every method some route of ``app`` serves at the request's path (RFC 9110 ``Allow``), and OPTIONS.

    The router answers 405 from the first route whose path matched, with that route's methods only: a path
    served by two routes (GET and PATCH ``/api/v1/issuer``) would advertise one. Each method is asked of every
    route here instead, as the router itself would match it."""
    allowed = []
    for method in _METHODS:
        probe: Scope = {"type": "http", "path": scope.get("path", ""), "root_path": scope.get("root_path", ""),
                        "method": method, "headers": []}
        if any(route.matches(dict(probe))[0] is Match.FULL for route in app.router.routes):
            allowed.append(method)
    return [*allowed, "OPTIONS"]


_DOMAIN_STATUS: dict[type[domain.DomainError], int] = {
    domain.Unreadable: 400,
    domain.Unauthenticated: 401,
    domain.Forbidden: 403,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.TooLarge: 413,
    domain.Unsupported: 415,
    domain.Invalid: 422,
    domain.TooManyRequests: 429,
    domain.UpstreamFailed: 502,
    domain.Unavailable: 503,
}

RETRY_AFTER_UNAVAILABLE = 5
"""Seconds a client is asked to wait (``Retry-After``) while the database cannot be reached: about the time a
restarted PostgreSQL takes to accept connections again."""


# RFC 9110's names where Python 3.11's HTTPStatus still has the older ones.
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def _title(status: int) -> str:
    return _TITLES.get(status) or HTTPStatus(status).phrase


def domain_status(exc: domain.DomainError | type[domain.DomainError]) -> int:
    """The HTTP status of a domain error (or error class): its nearest category in ``_DOMAIN_STATUS`` (500 if none)."""
    for cls in (exc if isinstance(exc, type) else type(exc)).__mro__:
        if cls in _DOMAIN_STATUS:
            return _DOMAIN_STATUS[cls]
    return 500


def domain_problem(exc: domain.DomainError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The problem detail of a domain error (for a middleware that answers before any route runs)."""
    status = domain_status(exc)
    if status == 401:
        headers = {"WWW-Authenticate": 'Bearer realm="mcbadge"', **(headers or {})}
    elif status == 503:
        headers = {"Retry-After": str(RETRY_AFTER_UNAVAILABLE), **(headers or {})}
    return problem_response(status, _title(status), exc.detail, exc.problem_type(), headers=headers, **exc.extensions)


async def _on_domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, domain.DomainError)
    return domain_problem(exc)


def unavailable(exc: DBAPIError) -> domain.Unavailable | None:
    """The database could not be reached, or the connection broke (a restart, a network fault): a 503 that a retry
    may cure, not a 500. None for a database error that says something about the request (a constraint...).

    The engine's pool drops a connection that failed this way, and checks each one before lending it
    (``pool_pre_ping``), so the service recovers by itself once the database is back."""
    if exc.connection_invalidated or (isinstance(exc, OperationalError) and not isinstance(exc.orig, sqlite3.Error)):
        return domain.Unavailable("the database cannot be reached just now; retry shortly")
    # SQLite says OperationalError of its schema too ("no such table": a bug, a 500); only these are passing.
    if isinstance(exc, OperationalError) and any(text in str(exc.orig).lower() for text in _SQLITE_TRANSIENT):
        return domain.Unavailable("the database is busy or cannot be written just now; retry shortly")
    return None


_SQLITE_TRANSIENT = ("database is locked", "unable to open database", "disk i/o error", "database or disk is full",
                     "attempt to write a readonly database")


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    problem = unavailable(exc)
    if problem is None:
        return await _on_unexpected(request, exc)
    # The exception's own text names the host and port: logged for the operator, never sent.
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
    return domain_problem(problem)


async def _on_keystore_error(request: Request, exc: Exception) -> JSONResponse:
    # A key that cannot be read (a lost key volume, a damaged file, a wrong passphrase): nothing was signed or
    # written (the transaction is rolled back), and /ready says the same. The message names paths: logged only.
    log.error("signing key unavailable on %s %s: %s", request.method, request.url.path, exc)
    return domain_problem(domain.Unavailable("the issuer's signing key cannot be used just now, so nothing was "
                                             "signed; the operator can see why in /ready and the log"))


async def _on_credential_error(request: Request, exc: Exception) -> JSONResponse:
    # The credential library raises for input it must not sign or cannot read; that is the client's input.
    return problem_response(422, "Unprocessable Content", str(exc), PROBLEM_TYPE_BASE + "credential-error",
                            error=type(exc).__name__)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem_response(500, "Internal Server Error", "an unexpected error occurred; it has been logged")


def install(app: FastAPI, *, max_body_bytes: int, max_upload_bytes: int | None = None,
            upload_paths: str | None = None, path_limits: Sequence[tuple[str, int]] = (),
            max_json_bytes: int | None = None) -> None:
    """Register the exception handlers and the body-size limit on ``app``.

    Requests whose path matches the regular expression ``upload_paths`` (evidence uploads) are limited to
    ``max_upload_bytes`` instead, and streamed to the route rather than buffered. ``path_limits`` gives other
    POST paths (regular expressions) a limit of their own, still buffered (verification with evidence files).
    A JSON body is held to ``max_json_bytes`` at most, whatever the path allows (no credential is that large).
    """
    handlers: dict[type[Exception], Callable[[Request, Exception], Awaitable[JSONResponse]]] = {
        domain.DomainError: _on_domain_error,
        RequestValidationError: _on_validation,
        StarletteHTTPException: _on_http,
        CredentialError: _on_credential_error,
        DBAPIError: _on_database_error,
        KeystoreError: _on_keystore_error,
        Exception: _on_unexpected,
    }
    for exc_class, handler in handlers.items():
        app.add_exception_handler(exc_class, handler)
    app.add_middleware(UnexpectedErrors)  # first, so innermost: it sees what the exception handlers did not take
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, upload_max_bytes=max_upload_bytes,
                       upload_paths=upload_paths, path_limits=path_limits, json_max_bytes=max_json_bytes)


class UnexpectedErrors:
    """ASGI middleware: an exception no handler took becomes a 500 problem detail, logged once, and the connection
    stays usable.

    Starlette's own last resort (``ServerErrorMiddleware``) answers too, but then re-raises, so the server logs the
    traceback a second time and closes the connection: the client's next request on it is reset. Only when the
    response had already begun is the exception passed on (closing the connection is then the only way to end it).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = problem_response(500, "Internal Server Error", "an unexpected error occurred; it has been logged")
            await response(scope, receive, send)


class BodySizeLimit:
    """ASGI middleware: refuse request bodies larger than ``max_bytes`` with 413, before any route runs.

    A declared ``Content-Length`` is checked up front; a chunked body is counted while it is read. The
    body is buffered (at most ``max_bytes``) and replayed to the application.

    Upload routes (a ``POST`` whose path matches ``upload_paths``) get ``upload_max_bytes`` instead, checked
    against ``Content-Length`` here; their body is passed through unbuffered, and the route counts what it
    streams (``mcbadge.blobs``), which also covers uploads sent without a length.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int | None = None,
                 upload_paths: str | None = None, path_limits: Sequence[tuple[str, int]] = (),
                 json_max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.json_max_bytes = json_max_bytes
        self.path_limits = [(re.compile(pattern), limit) for pattern, limit in path_limits]
        self.upload_max_bytes = upload_max_bytes or max_bytes
        self.upload_paths = re.compile(upload_paths) if upload_paths else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lengths = [v for k, v in scope.get("headers", ()) if k == b"content-length"]
        if lengths and (len(lengths) > 1 or not lengths[0].isdigit()):
            await _send(problem_response(400, "Bad Request", "invalid Content-Length header"), scope, receive, send)
            return
        if (self.upload_paths is not None and scope.get("method") == "POST"
                and self.upload_paths.fullmatch(scope.get("path", ""))):
            if lengths and int(lengths[0]) > self.upload_max_bytes:
                await self._refuse(scope, receive, send, already=0, limit=self.upload_max_bytes)
                return
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes
        if scope.get("method") == "POST":
            limit = next((n for pattern, n in self.path_limits if pattern.fullmatch(scope.get("path", ""))), limit)
        if self.json_max_bytes is not None and limit > self.json_max_bytes:
            content_type = next((v for k, v in scope.get("headers", ()) if k == b"content-type"), b"")
            if is_json(content_type.decode("latin-1").split(";", 1)[0].strip().lower()):
                limit = self.json_max_bytes
        if lengths and int(lengths[0]) > limit:
            await self._refuse(scope, receive, send, already=0, limit=limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, already=size, more=message.get("more_body", False),
                                   limit=limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, *, already: int, more: bool = True,
                      limit: int | None = None) -> None:
        # Read and discard what the client is still sending (up to a bound) before answering: closing a
        # socket with unread data makes the kernel reset the connection, and the client would see
        # "connection reset" instead of the 413.
        limit = limit or self.max_bytes
        drained = already
        bound = min(max(8 * MIB, 4 * limit), 64 * MIB)
        while more and drained <= bound:
            message = await receive()
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            more = message.get("more_body", False)
        detail = f"the request body is larger than the limit of {limit} bytes"
        if str(scope.get("path", "")).startswith(OB_API_PATH + "/"):
            # The OB 3.0 API answers every error as an Imsx_StatusInfo (obapi.errors), this one too: its enumeration
            # has no code for a size, and invalid_data is what the body is.
            await _send(imsx_response(413, "invalid_data", detail), scope, receive, send)
            return
        await _send(problem_response(413, _title(413), detail, domain.BodyTooLarge.problem_type()),
                    scope, receive, send)


async def _send(response: JSONResponse, scope: Scope, receive: Receive, send: Send) -> None:
    # The body was not (fully) read: ask the client to close rather than reuse a connection with unread data.
    response.headers["connection"] = "close"
    await response(scope, receive, send)


def responses(*errors: type[domain.DomainError], public: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a route: the domain errors it may raise, as problem details, each described by
    its code and the first line of its docstring (always also 401, unless the route is ``public``)."""
    out: dict[int | str, dict[str, Any]] = {}
    every_error: tuple[type[domain.DomainError], ...] = ((() if public else (domain.Unauthenticated,)) + errors)
    for error in every_error:
        entry = out.setdefault(domain_status(error), {"description": "", "content": {PROBLEM_JSON: {}}})
        summary = (error.__doc__ or "").strip().splitlines()[0] if error.__doc__ else ""
        code = f"`{error.code}`" if error.code else "(about:blank)"
        entry["description"] = f"{entry['description']}\n\n{code}: {summary}".strip()
    return out
