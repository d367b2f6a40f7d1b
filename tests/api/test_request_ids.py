"""X-Request-Id in and out (issue 13, part 6): a client's usable id is kept, anything else replaced by a new one.
That the id is on every log line of its request is checked on a real ``mcbadge serve`` (integration/test_workers)."""

from __future__ import annotations

import uuid

import httpx

from tests.live_server import LiveServer


def test_a_request_id_is_echoed_or_made(server: LiveServer, client: httpx.Client) -> None:
    assert client.get("/health", headers={"X-Request-Id": "lb-7f3a:42"}).headers["x-request-id"] == "lb-7f3a:42"
    made = client.get("/health").headers["x-request-id"]
    assert uuid.UUID(made).version == 4
    # Too long, or not plain: what a client sends is written to the log, so it is not taken.
    for unusable in (b"x" * 129, b"two words", b"forged\\nline", "é".encode()):
        echoed = client.get("/health", headers={"X-Request-Id": unusable})
        assert uuid.UUID(echoed.headers["x-request-id"]).version == 4
    # Problem details too (answered by the error handlers, inside the middleware).
    missing = client.get("/api/v1/credentials", headers={"X-Request-Id": "no-key-1"})
    assert missing.status_code == 401 and missing.headers["x-request-id"] == "no-key-1"
