"""BodyLimitMiddleware: Graph's 4 MB request limit, enforced while the body streams in."""

import json
from typing import Any, AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from graphpost.api import errors
from graphpost.api.limits import MAX_REQUEST_BYTES, BodyLimitMiddleware
from graphpost.errors import RequestTooLarge

LIMIT = 100


class EchoApp:
    """A tiny ASGI app that reads the whole body and answers with its length; it records whether it
    was called and how many bytes it was handed."""

    def __init__(self) -> None:
        self.called = False
        self.received = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            self.received += len(message.get("body", b""))
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": str(self.received).encode()})


def scope_for(path: str = "/v1.0/me/messages", headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": headers or [], "client": ("127.0.0.1", 1234), "server": ("graph.test", 80),
            "state": {"request_id": "req-1", "client_request_id": "client-1"}}


def body_messages(*pieces: bytes) -> Receive:
    queue = [{"type": "http.request", "body": piece, "more_body": index < len(pieces) - 1}
             for index, piece in enumerate(pieces)]

    async def receive() -> Message:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    return receive


async def run(app: Any, scope: Scope, receive: Receive) -> tuple[int, dict[str, str], bytes]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return start["status"], headers, body


def test_the_default_limit_is_graphs_4_mb() -> None:
    assert MAX_REQUEST_BYTES == 4 * 1024 * 1024 == 4_194_304
    assert BodyLimitMiddleware(EchoApp()).limit == MAX_REQUEST_BYTES


async def test_a_declared_length_over_the_limit_is_refused_without_calling_the_app() -> None:
    app = EchoApp()
    scope = scope_for(headers=[(b"content-type", b"application/json"), (b"content-length", str(LIMIT + 1).encode())])
    status, headers, body = await run(BodyLimitMiddleware(app, LIMIT), scope, body_messages(b"x" * (LIMIT + 1)))
    assert status == 413
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["code"] == "RequestEntityTooLarge" and error["message"]
    assert (error["innerError"]["request-id"], error["innerError"]["client-request-id"]) == ("req-1", "client-1")
    assert app.called is False


async def test_a_body_within_the_limit_reaches_the_app_whole() -> None:
    app = EchoApp()
    for pieces, declared in (((b"x" * LIMIT,), True), ((b"x" * 60, b"y" * 40), False), ((b"",), True)):
        app.received = 0
        length = sum(map(len, pieces))
        headers = [(b"content-length", str(length).encode())] if declared else [(b"transfer-encoding", b"chunked")]
        status, _, body = await run(BodyLimitMiddleware(app, LIMIT), scope_for(headers=headers),
                                    body_messages(*pieces))
        assert (status, body) == (200, str(length).encode())


async def test_a_chunked_body_is_cut_off_as_soon_as_it_passes_the_limit() -> None:
    app = EchoApp()
    pieces = [b"x" * 40] * 10  # 400 bytes, no Content-Length
    with pytest.raises(RequestTooLarge) as raised:
        await run(BodyLimitMiddleware(app, LIMIT), scope_for(headers=[(b"transfer-encoding", b"chunked")]),
                  body_messages(*pieces))
    assert (raised.value.status, raised.value.code) == (413, "RequestEntityTooLarge")
    # The app never got more than the limit; the piece that crossed it was not handed over.
    assert app.called is True and app.received <= LIMIT


async def test_a_chunked_body_over_the_limit_is_answered_413_by_the_error_handler() -> None:
    read: list[int] = []
    app = FastAPI()
    app.state.route_templates = []
    errors.install(app)

    @app.post("/v1.0/me/messages")
    async def create(request: Request) -> JSONResponse:
        body = await request.body()
        read.append(len(body))
        return JSONResponse({"length": len(body)}, status_code=201)

    app.add_middleware(BodyLimitMiddleware, limit=LIMIT)

    async def pieces(count: int) -> AsyncIterator[bytes]:
        for _ in range(count):
            yield b"x" * 40

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://graph.test") as client:
        response = await client.post("/v1.0/me/messages", content=pieces(10))
        assert response.status_code == 413, response.text
        assert response.json()["error"]["code"] == "RequestEntityTooLarge"
        assert read == []
        response = await client.post("/v1.0/me/messages", content=pieces(2))
        assert (response.status_code, response.json()) == (201, {"length": 80})


@pytest.mark.parametrize("declared", [True, False])
async def test_upload_session_urls_are_exempt(declared: bool) -> None:
    app = EchoApp()
    size = LIMIT * 5
    headers = [(b"content-length", str(size).encode())] if declared else [(b"transfer-encoding", b"chunked")]
    status, _, body = await run(BodyLimitMiddleware(app, LIMIT),
                                scope_for("/upload/attachmentSessions/AAMk123", headers), body_messages(b"z" * size))
    assert (status, body) == (200, str(size).encode())


async def test_a_path_that_only_looks_like_an_upload_url_is_not_exempt() -> None:
    app = EchoApp()
    headers = [(b"content-length", str(LIMIT + 1).encode())]
    status, _, _ = await run(BodyLimitMiddleware(app, LIMIT), scope_for("/v1.0/upload/attachmentSessions/x", headers),
                             body_messages(b"z" * (LIMIT + 1)))
    assert status == 413 and app.called is False


async def test_non_http_scopes_pass_through() -> None:
    app = EchoApp()

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send(message: Message) -> None:
        pass

    await BodyLimitMiddleware(app, LIMIT)({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert app.called is True
