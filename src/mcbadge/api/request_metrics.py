"""Requests counted and timed by route template, and ``GET /metrics`` (``mcbadge.metrics``).

An ASGI middleware rather than a FastAPI one: it sees every response, the problem details the error handlers
write included, and costs one clock read and two label lookups per request.
"""

from __future__ import annotations

import hmac
import ipaddress
import time

from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import Forbidden
from ..metrics import CONTENT_TYPE, Metrics

__all__ = ["RequestMetrics", "metrics_response"]


class RequestMetrics:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app raises before answering, that is what the client gets

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            # The template, never the path a client sent: label values stay a fixed, small set.
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_response(request: Request, metrics: Metrics, token: str | None) -> Response:
    """The metrics for a scraper on this machine, or one that sends ``Authorization: Bearer <token>``
    (``MCBADGE_METRICS_TOKEN``); anyone else gets 403 (the counts describe the service's traffic)."""
    presented = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    allowed = _loopback(request.client.host if request.client else None) or (
        bool(token) and hmac.compare_digest(presented.encode(), (token or "").encode()))
    if not allowed:
        raise Forbidden("/metrics answers scrapers on this machine, or with the bearer MCBADGE_METRICS_TOKEN")
    return Response(metrics.text(), media_type=CONTENT_TYPE)
