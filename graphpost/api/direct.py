"""sendMail served straight from ASGI, ahead of FastAPI's router.

sendMail is the call a busy client makes most, and its work is small next to what FastAPI's
router and its layers around a route cost (matching the path against every route, the exit
stack, the endpoint wrappers): measured under load, a fifth of sendMail's time on the event loop
(bench/README.md). Here a POST whose path is exactly a sendMail route goes straight to the same
handler function (api/routes/send.py: it takes nothing but the request) and its errors become
Graph's envelope through the same api/errors.py; the request ids and the body limit still apply
(this sits inside their middleware). Anything else, including sendMail inside a $batch, takes the
router as before."""

from __future__ import annotations

import re

from fastapi import FastAPI
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from graphpost.api.errors import error_response
from graphpost.api.routes.send import send_mail

# The paths FastAPI routes to send.send_mail (api/app.py: VERSIONS x MAILBOXES + "/sendMail"); a
# path parameter matches as Starlette's does, any run of characters but "/".
SEND_MAIL_PATH = re.compile(r"/(?:v1\.0|beta)/(?:me|users/(?P<user_ref>[^/]+))/sendMail")


class DirectRoutes:
    def __init__(self, app: ASGIApp, graph_app: FastAPI) -> None:
        self.app = app
        self.graph_app = graph_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            match = SEND_MAIL_PATH.fullmatch(scope["path"])
            if match is not None:
                await self._send_mail(scope, receive, send, match["user_ref"])
                return
        await self.app(scope, receive, send)

    async def _send_mail(self, scope: Scope, receive: Receive, send: Send, user_ref: str | None) -> None:
        # What the router would have put in the scope for the handler: the app and the path parameters.
        scope["app"] = self.graph_app
        scope["path_params"] = {} if user_ref is None else {"user_ref": user_ref}
        request = Request(scope, receive)
        try:
            response = await send_mail(request)
        except Exception as exc:
            response = error_response(request, exc)
        await response(scope, receive, send)
