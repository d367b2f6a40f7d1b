"""Every request's text checked once, at the edge, before any route or service sees it.

:func:`input_check` makes the app-wide dependency ``create_app`` puts on every route. It refuses, with a problem
detail naming the field (``mcbadge.limits``):

- a path, query parameter or ``application/x-www-form-urlencoded`` field holding NUL (PostgreSQL cannot store it);
- a JSON body (``application/json``, ``*/*+json``) that breaks a rule of :func:`mcbadge.limits.read_json`: a
  member name twice in one object, a lone surrogate or NUL in any string or name, ``NaN``, or beyond the size,
  depth and count limits.

Being a dependency rather than a middleware, a refusal is raised inside the route, so each API answers in its own
error format (problem details; the OB 3.0 API's ``Imsx_StatusInfo``). The body is parsed once here (a large one
in the thread pool) and kept: routes that read JSON themselves take it from :func:`json_body`. Evidence uploads
(``upload_paths``) stream their body to storage and are not read here; their bytes are files, not text.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from ..limits import check_text, parse_off_loop, read_json

__all__ = ["input_check", "is_json", "json_body"]

_FORM = "application/x-www-form-urlencoded"
_UNREAD = object()


def is_json(media_type: str) -> bool:
    """Whether a (lower-case, parameter-free) media type is JSON, as FastAPI reads bodies."""
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def json_body(request: Request) -> Any:
    """The request's JSON body, read by :func:`mcbadge.limits.read_json` once (the first caller parses, in the
    thread pool when it is large) and kept in the request's state for the others."""
    value = getattr(request.state, "json_body", _UNREAD)
    if value is _UNREAD:
        body = await request.body()
        value = request.state.json_body = await parse_off_loop(len(body), read_json, body)
    return value


def input_check(upload_paths: str | None = None) -> Callable[[Request], Awaitable[None]]:
    """The app-wide dependency checking each request's path, query string and body (see the module docstring)."""
    uploads = re.compile(upload_paths) if upload_paths else None

    async def checked_input(request: Request) -> None:
        check_text(request.scope.get("path", ""), "path")
        for name, value in request.query_params.multi_items():
            check_text(name, f"query: {name}")
            check_text(value, f"query: {name}")
        media = _media_type(request)
        if not media or (uploads is not None and uploads.fullmatch(request.scope.get("path", ""))):
            return
        if is_json(media):
            if await request.body():  # an empty body is no JSON value (a route's optional body)
                await json_body(request)
        elif media == _FORM:
            form = (await request.body()).decode("latin-1")
            for name, value in parse_qsl(form, keep_blank_values=True, errors="replace"):
                check_text(name, f"form: {name}")
                check_text(value, f"form: {name}")

    return checked_input
