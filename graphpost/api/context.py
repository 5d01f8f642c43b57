"""Per-request ids, the access log and the request counter of /metrics, as a plain ASGI
middleware (no per-request task overhead).

Graph gives every response a `request-id` and echoes the caller's `client-request-id` (or, when
the caller sent none, repeats the request id in it)."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphpost import metrics
from graphpost.api.route_labels import RouteLabels
from graphpost.logs import current_request_id
from graphpost.mail import ids

access_log = logging.getLogger("graphpost.access")


def request_ids(scope: Scope) -> tuple[str, str]:
    state = scope.get("state") or {}
    return state.get("request_id", ""), state.get("client_request_id", "")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, route_labels: RouteLabels | None = None) -> None:
        self.app = app
        self.route_labels = route_labels or RouteLabels()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = ids.new_request_id()
        client_request_id = request_id
        for name, value in scope["headers"]:
            if name == b"client-request-id":
                client_request_id = value.decode("latin-1")[:200]
                break
        scope.setdefault("state", {}).update(request_id=request_id, client_request_id=client_request_id)
        # Every record logged while this request is served carries its id (graphpost/logs.py).
        token = current_request_id.set(request_id)
        status = 500

        async def send_with_ids(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers: list[Any] = list(message.get("headers", []))
                headers.append((b"request-id", request_id.encode()))
                headers.append((b"client-request-id", client_request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_ids)
        except BaseException:
            # An error no handler took goes on to Starlette's outermost middleware, which answers
            # the 500 and logs the traceback after this one is done: the id stays set for that
            # record (a request is a task of its own; $batch puts back its own id, routes/batch.py).
            self._log(scope, started, status, request_id)
            raise
        self._log(scope, started, status, request_id)
        current_request_id.reset(token)

    def _log(self, scope: Scope, started: float, status: int, request_id: str) -> None:
        milliseconds = (time.perf_counter() - started) * 1000
        route = self.route_labels.of(scope)
        metrics.count_request(route, scope["method"], status)
        if access_log.isEnabledFor(logging.INFO):
            client = (scope.get("client") or ("-",))[0]
            access_log.info('%s %s %s %d %.1fms request-id=%s', client, scope["method"], scope["path"], status,
                            milliseconds, request_id,
                            extra={"client": client, "method": scope["method"], "path": scope["path"],
                                   "route": route, "status": status, "duration_ms": round(milliseconds, 1)})
