"""At most N verifications in flight per client address on the public verification endpoints.

Verifying costs CPU (canonicalization, signatures) and may wait on other sites; one client sending requests back
to back on many connections could otherwise take every worker thread. :class:`VerificationsPerClient` counts the
requests each client address has in flight on ``paths`` and answers 429 with ``Retry-After`` beyond
``max_in_flight`` (``MCBADGE_MAX_VERIFICATIONS_PER_CLIENT``), before the body is read. Other clients, and every
other path (``/health`` included), are not affected.

The address is the connection's peer (``scope["client"]``), which uvicorn reads from ``X-Forwarded-For`` when the
proxy's address is trusted (127.0.0.1 by default; ``FORWARDED_ALLOW_IPS`` for another), else every client behind
the proxy would share its count.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import TooManyRequests
from .problems import domain_problem

__all__ = ["VerificationsPerClient"]

RETRY_AFTER_SECONDS = 1
_DRAIN_BOUND = 64 * 1024 * 1024


class TooManyVerifications(TooManyRequests):
    """The client already has as many verifications in flight as it may (``MCBADGE_MAX_VERIFICATIONS_PER_CLIENT``)."""


class VerificationsPerClient:
    """ASGI middleware: at most ``max_in_flight`` POSTs to ``paths`` in flight per client address."""

    def __init__(self, app: ASGIApp, *, paths: Collection[str], max_in_flight: int) -> None:
        self.app = app
        self.paths = re.compile("|".join(re.escape(p) for p in paths))
        self.max_in_flight = max_in_flight
        self.in_flight: Counter[str] = Counter()  # the event loop is one thread: no lock needed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or not self.paths.fullmatch(scope.get("path", "")):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else ""
        if self.in_flight[address] >= self.max_in_flight:
            await self._refuse(scope, receive, send)
            return
        self.in_flight[address] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight[address] -= 1
            if not self.in_flight[address]:
                del self.in_flight[address]  # the table holds only clients with requests in flight

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Read and drop the body first (bounded): closing a connection with unread data makes the kernel reset
        # it, and the client would see "connection reset" instead of the 429.
        drained, more = 0, True
        while more and drained <= _DRAIN_BOUND:
            message = await receive()
            if message["type"] != "http.request":
                return
            drained += len(message.get("body", b""))
            more = message.get("more_body", False)
        error = TooManyVerifications(
            f"this client already has {self.max_in_flight} verifications in flight, the most it may have at once; "
            f"retry in {RETRY_AFTER_SECONDS} s", limit="verifications in flight", max=self.max_in_flight)
        response = domain_problem(error, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
        if more:
            response.headers["connection"] = "close"
        await response(scope, receive, send)
