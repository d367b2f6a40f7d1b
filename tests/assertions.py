"""Assertions shared by the HTTP tests."""

from __future__ import annotations

from typing import Any

import httpx

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status`` (and type ``urn:mcbadge:problem:<code>``)."""
    assert response.status_code == status, f"{response.status_code} != {status}: {response.text}"
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers["content-type"]
    body = response.json()
    assert body["status"] == status and {"type", "title", "detail"} <= body.keys()
    assert "Traceback" not in response.text
    if code is not None:
        assert body["type"] == f"urn:mcbadge:problem:{code}", body
    return body
