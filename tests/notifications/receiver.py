"""A webhook receiver as an application writes one (Starlette under uvicorn, on a free port, in a
thread of its own so that sync and async tests alike can use it): it answers Graph's validation
requests and records the notifications it is sent. What it answers can be changed while it runs."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from tests.ports import free_port


@dataclass
class Received:
    validations: list[str] = field(default_factory=list)      # the tokens asked
    bodies: list[dict[str, Any]] = field(default_factory=list)  # each POST's JSON, as received
    refused: int = 0                                           # POSTs answered with an error


class WebhookReceiver:
    def __init__(self) -> None:
        self.port = free_port()
        self.received = Received()
        self.status = 202                  # what notifications are answered with
        self.validation_status = 200
        self.echo_token = True              # False: answer the validation with something else
        self._changed = threading.Condition()
        app = Starlette(routes=[Route("/{path:path}", self._handle, methods=["POST"])])
        self._server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None,
                                                     access_log=False, lifespan="off"))
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def url(self, path: str = "notify") -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    async def _handle(self, request: Request) -> Response:
        token = request.query_params.get("validationToken")
        if token is not None:
            with self._changed:
                self.received.validations.append(token)
            if self.validation_status != 200:
                return Response(status_code=self.validation_status)
            return PlainTextResponse(token if self.echo_token else "something else")
        body = json.loads(await request.body())
        with self._changed:
            if self.status >= 300:
                self.received.refused += 1
            else:
                self.received.bodies.append(body)
            self._changed.notify_all()
        return Response(status_code=self.status)

    def items(self) -> list[dict[str, Any]]:
        with self._changed:
            return [item for body in self.received.bodies for item in body["value"]]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        """The items received once there are at least `count`; fails the test after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len([i for b in self.received.bodies for i in b["value"]]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} notifications, got {self.received.bodies}")
                self._changed.wait(left)
        return self.items()

    async def wait_for_async(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        return await asyncio.to_thread(self.wait_for, count, timeout)

    def wait_for_refusals(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.received.refused < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} refused POSTs, saw {self.received.refused}")
                self._changed.wait(left)

    def __enter__(self) -> "WebhookReceiver":
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise AssertionError("the webhook receiver did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(10)
