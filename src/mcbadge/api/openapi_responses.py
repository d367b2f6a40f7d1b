"""What every operation may answer besides what its route declares, written into the OpenAPI document once.

A route declares the errors of its own service (``problems.responses``). Others come from the edge, the same
for every route, and are added here so the document tells the whole truth (a client generated from it, or
schemathesis, meets no status or content type it does not list):

- 400 ``malformed-json`` / ``duplicate-member`` (a body that cannot be read), on every operation with a body;
- 413 ``limit-exceeded`` (a body over its size limit, or JSON beyond ``mcbadge.limits``), the same;
- 422 for a request that does not match its schema, or text the databases cannot store (``unencodable-text``,
  checked in the path and query of every request), as a problem detail (FastAPI's default documents
  ``application/json`` with its own schema, which the app never answers);
- 404 on every operation with path parameters (an id that is not a UUID matches no route at all);
- 429 with ``Retry-After`` on the public verification endpoints (``api.client_limits``);
- 503 with ``Retry-After`` while the database cannot be reached (``api.problems``), on every operation but
  ``/health`` (which touches nothing).

Every problem detail is described by one ``Problem`` schema (RFC 9457). The operations of the OB 3.0 API and the
OAuth endpoints answer errors in their standards' own formats (``Imsx_StatusInfo``, RFC 6749 ``error``): their
routes declare those themselves, and nothing is added to them here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from typing import Any

from .problems import PROBLEM_JSON

__all__ = ["PROBLEM_SCHEMA", "complete"]

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An RFC 9457 problem detail; extension members (``errors``, ``field``, ``limit``...) may follow.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "``urn:mcbadge:problem:<code>``, or ``about:blank``"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
    },
    "additionalProperties": True,
}

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", "required": True,
                                "schema": {"type": "integer", "minimum": 0}}}
_BODY_METHODS = {"post", "put", "patch"}


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {PROBLEM_JSON: {"schema": _PROBLEM_REF}}}
    if headers:
        response["headers"] = headers
    return response


_EDGE: dict[str, dict[str, Any]] = {
    "400": _problem("`malformed-json`, `duplicate-member`: the body cannot be read (not JSON, not UTF-8, a member "
                    "named twice in one object), or its Content-Length is not a number"),
    "413": _problem("`limit-exceeded` (about:blank for the body's bytes): the body, or a part of the JSON it holds, "
                    "is over a limit that bounds the work of one request (`limit`, `max` and `field` name it)"),
    "422": _problem("`invalid-request`: the request does not match its schema (`errors` lists where); "
                    "`unencodable-text`: text with NUL or a lone surrogate (the `field` is named); or the route's "
                    "own rule, as its description says"),
    "404": _problem("`not-found`: no such object for this caller, or an id that is not a UUID"),
    "429": _problem("`too-many-requests`: this client already has as many verifications in flight as it may",
                    _RETRY_AFTER),
    "503": _problem("`unavailable`: the database cannot be reached just now; retry after `Retry-After` seconds",
                    _RETRY_AFTER),
}


def complete(document: dict[str, Any], *, own_error_format: Callable[[str], bool],
             rate_limited: Collection[str], untouched: Collection[str]) -> dict[str, Any]:
    """Add the edge's responses to every operation of ``document`` (in place; returned too).

    ``own_error_format(path)`` is true for paths whose errors are not problem details (left as declared);
    ``rate_limited`` are the paths whose POST may answer 429; ``untouched`` the paths that never reach the
    database (no 503)."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, operations in document.get("paths", {}).items():
        if own_error_format(path):
            continue
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            for status, response in responses.items():
                content = response.get("content") or {}
                if status.startswith(("4", "5")) and PROBLEM_JSON in content:
                    content[PROBLEM_JSON] = {"schema": _PROBLEM_REF}
            wanted = ["422"]
            if method in _BODY_METHODS and "requestBody" in operation:
                wanted += ["400", "413"]
            if any(p.get("in") == "path" for p in operation.get("parameters", [])):
                wanted.append("404")
            if method == "post" and path in rate_limited:
                wanted.append("429")
            if path not in untouched:
                wanted.append("503")
            for status in wanted:
                edge = _EDGE[status]
                declared = responses.get(status)
                fastapi_default = declared is not None and "/HTTPValidationError" in json.dumps(declared)
                if declared is None or fastapi_default:
                    # FastAPI's default 422 (``HTTPValidationError``, application/json) is never what is answered.
                    responses[status] = {**edge, "content": dict(edge["content"])}
                else:
                    # The route's own format for this status (an OAuth error) and the edge's problem detail
                    # (the body was refused before the route read it): either may come.
                    declared.setdefault("content", {}).setdefault(PROBLEM_JSON, {"schema": _PROBLEM_REF})
                    if edge.get("headers"):
                        declared.setdefault("headers", {}).update(edge["headers"])
                    if edge["description"] not in declared.get("description", ""):
                        declared["description"] = f"{declared.get('description', '')}\n\n{edge['description']}".strip()
    schemas = document["components"]["schemas"]
    for unused in ("HTTPValidationError", "ValidationError"):  # FastAPI's, now referenced by nothing
        rest = {k: v for k, v in schemas.items() if k != unused}
        if f'"#/components/schemas/{unused}"' not in json.dumps([document.get("paths"), rest]):
            schemas.pop(unused, None)
    return document
