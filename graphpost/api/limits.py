"""Graph's 4 MB limit on a request body, enforced while the body streams in: a declared
Content-Length over the limit is refused before any of it is read, and a chunked body is cut off
at the limit instead of being buffered whole."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphpost.api.errors import envelope
from graphpost.errors import RequestTooLarge

MAX_REQUEST_BYTES = 4 * 1024 * 1024
# Upload-session ranges have their own limit (graphpost.mail.uploads.MAX_RANGE).
EXEMPT_PREFIXES = ("/upload/",)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit():
                if int(value) > self.limit:
                    await envelope(Request(scope), RequestTooLarge())(scope, receive, send)
                    return
                # The server reads no more than the declared length (HTTP/1.1 framing): nothing to count.
                await self.app(scope, receive, send)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise RequestTooLarge()
            return message

        await self.app(scope, counted, send)
