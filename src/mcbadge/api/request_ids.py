"""A request id for every request: the client's ``X-Request-Id`` when usable, else a new one; set in
``logs.REQUEST_ID`` while the request is handled (every log line names it) and sent back in the response's
``X-Request-Id``, so a client, a proxy and the service's log can name the same request.

An ASGI middleware, outermost: uvicorn writes its access-log line while the response starts, inside it, so that
line carries the id too. A client's id is taken only when it is short and plain (letters, digits, ``.``, ``_``,
``:``, ``-``): what it sends is written to the log, and must not be able to forge lines or carry much.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import REQUEST_ID

__all__ = ["HEADER", "RequestIds"]

HEADER = "x-request-id"
_USABLE = re.compile(r"[A-Za-z0-9._:-]{1,128}")


class RequestIds:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == HEADER.encode()), "")
        request_id = given if _USABLE.fullmatch(given) else str(uuid.uuid4())
        encoded = request_id.encode("ascii")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != HEADER.encode()]
                message = {**message, "headers": [*headers, (HEADER.encode(), encoded)]}
            await send(message)

        # uvicorn runs each request in a task of its own, whose context this sets. Left set when the app raises,
        # so that uvicorn's "Exception in ASGI application" line, written in this task after it, names it too.
        token = REQUEST_ID.set(request_id)
        await self.app(scope, receive, sending)
        REQUEST_ID.reset(token)
