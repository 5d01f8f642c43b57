"""sendMail served ahead of FastAPI's router (api/direct.py): exactly its paths are taken there,
every other request reaches the router, and the answers are the ones the router's route gives."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from graphpost.api.context import RequestContextMiddleware
from graphpost.api.direct import DirectRoutes
from graphpost.config import Settings
from graphpost.store.database import Database
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import ALICE, BOB, delegated, recipients
from tests.tokens import TokenMint

MESSAGE = {"subject": "Direct", "body": {"contentType": "text", "content": "hi"}, "toRecipients": recipients(BOB)}


class Recorder:
    """Stands for the router: notes the paths that reach it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
def recorded(settings: Settings, db: Database) -> tuple[Recorder, httpx.AsyncClient]:
    from graphpost.api.app import create_app
    recorder = Recorder()
    # As in the app: inside the middleware that gives every answer its request ids.
    app = RequestContextMiddleware(DirectRoutes(recorder, graph_app=create_app(settings, db)))
    return recorder, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://graph.test")


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("path", ["/v1.0/me/sendMail", "/beta/me/sendMail", "/v1.0/users/alice@contoso.test/sendMail",
                                  "/beta/users/0f6c1b0e-0000-4000-8000-000000000000/sendMail"])
async def test_send_mail_paths_are_served_without_the_router(recorded: tuple[Recorder, httpx.AsyncClient],
                                                             path: str) -> None:
    recorder, http = recorded
    async with http:
        response = await http.post(path, json={"message": MESSAGE})
    # No token: the handler itself answers, with Graph's envelope.
    assert_graph_error(response, 401, "InvalidAuthenticationToken")
    assert recorder.paths == []


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("method, path", [
    ("POST", "/v1.0/me/sendmail"), ("POST", "/v1.0/me/sendMail/"), ("POST", "/v2.0/me/sendMail"),
    ("POST", "/v1.0/users/a/b/sendMail"), ("POST", "/v1.0/me/messages"), ("GET", "/v1.0/me/sendMail"),
    ("POST", "/v1.0/$batch")])
async def test_every_other_request_reaches_the_router(recorded: tuple[Recorder, httpx.AsyncClient],
                                                      method: str, path: str) -> None:
    recorder, http = recorded
    async with http:
        response = await http.request(method, path, json={})
    assert response.status_code == 299
    assert recorder.paths == [path]


async def test_send_mail_answers_as_the_router_route_does(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    alice = await delegated(client, tokens, ALICE)
    direct = await alice.post("sendMail", json={"message": MESSAGE}, headers={"client-request-id": "abc"})
    # The same call inside a $batch goes through FastAPI's router to the same handler.
    batch = await client.post("/v1.0/$batch", headers=alice.headers, json={"requests": [
        {"id": "1", "method": "POST", "url": "/me/sendMail", "headers": {"Content-Type": "application/json"},
         "body": {"message": MESSAGE}}]})
    assert direct.status_code == 202 and direct.content == b""
    assert direct.headers["client-request-id"] == "abc" and direct.headers["request-id"]
    [answer] = batch.json()["responses"]
    assert answer["status"] == 202
    # Errors: the same code and message either way.
    bad: dict[str, Any] = {"message": {**MESSAGE, "toRecipients": []}}
    direct_error = await alice.post("sendMail", json=bad)
    batch_error = await client.post("/v1.0/$batch", headers=alice.headers, json={"requests": [
        {"id": "1", "method": "POST", "url": "/me/sendMail", "headers": {"Content-Type": "application/json"},
         "body": bad}]})
    [routed] = batch_error.json()["responses"]
    assert direct_error.status_code == routed["status"] == 400
    assert direct_error.json()["error"]["code"] == routed["body"]["error"]["code"]
    assert direct_error.json()["error"]["message"] == routed["body"]["error"]["message"]
