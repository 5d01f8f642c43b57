"""Throttling and faults at the HTTP edge, as one plain ASGI middleware, installed only when one of
them is on (api/app.py), so that a server without them pays nothing.

It sits outside api/direct.py's fast path and FastAPI's router alike, so sendMail served ahead of
the router is throttled and faulted as every other route is. A fault is answered here, before
anything of the request runs (api/faults.py). Throttling needs the caller and the mailbox, known
only once the token is checked: the routes admit a request (api/throttling.py's `admit`, from
api/mailbox.py) and this middleware releases its concurrency slot when the answer is sent."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from graphpost.api.errors import envelope
from graphpost.api.faults import Faults
from graphpost.api.throttling import TICKET, Ticket


class GraphLimitsMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults | None, throttling: bool) -> None:
        self.app = app
        self.faults = faults
        self.throttling = throttling

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.faults is not None:
            fault = self.faults.draw(scope["method"], scope["path"])
            if fault is not None:
                await envelope(Request(scope), fault)(scope, receive, send)
                return
        if not self.throttling:
            await self.app(scope, receive, send)
            return
        ticket = Ticket()
        scope.setdefault("state", {})[TICKET] = ticket
        try:
            await self.app(scope, receive, send)
        finally:
            ticket.release()
