"""Repeated slashes in a request's path are read as one, as Graph reads them.

msgraph-sdk-python sends every request of a client built as Microsoft's quickstart builds it to
`https://graph.microsoft.com/v1.0//users/…`: its request adapter takes the base URL from httpx,
which always ends a base URL with a slash, and kiota's URL templates add another
(`{+baseurl}/users`). Graph serves those requests; so does graphpost, by rewriting the path
before anything matches it (routes, the sendMail fast path, the body limit's exemptions)."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

_REPEATED = re.compile(r"//+")
_REPEATED_RAW = re.compile(rb"//+")


class RepeatedSlashesMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "//" in scope["path"]:
            scope = dict(scope)
            scope["path"] = _REPEATED.sub("/", scope["path"])
            if scope.get("raw_path"):
                scope["raw_path"] = _REPEATED_RAW.sub(b"/", scope["raw_path"])
        await self.app(scope, receive, send)
