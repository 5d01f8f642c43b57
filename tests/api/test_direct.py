"""sendMail served ahead of FastAPI's router (api/direct.py): exactly its routes' paths are taken
there, found in the app's route table, every other request reaches the router, the answers are the
ones the router's route gives, and a sendMail route that asks for more than the request stops the
app from starting."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.routing import iter_route_contexts
from starlette.types import Message, Receive, Scope, Send

from graphpost.api.context import RequestContextMiddleware
from graphpost.api.app import create_app
from graphpost.api.direct import DirectRoutes, FastPathMismatch
from graphpost.api.routes import send
from graphpost.api.routes.send import send_mail
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
    # The same call inside a $batch: the batch runs it through the whole app again, fast path included.
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


def send_mail_paths(app: FastAPI) -> list[str]:
    return [route.path for route in iter_route_contexts(app.routes) if route.endpoint is send_mail]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_fast_path_serves_the_send_mail_routes_of_the_table(settings: Settings, db: Database) -> None:
    app = create_app(settings, db)
    # A prefix that api/app.py does not give: the fast path learns it from the table alone.
    app.include_router(send.router, prefix="/v1.0/groups/{group_id}")
    recorder = Recorder()
    direct = DirectRoutes(recorder, graph_app=app)
    assert [route.path for route in direct.fast_routes] == send_mail_paths(app)
    assert "/v1.0/groups/{group_id}/sendMail" in send_mail_paths(app)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=RequestContextMiddleware(direct)),
                             base_url="http://graph.test")
    async with http:
        served = await http.post("/v1.0/groups/g1/sendMail", json={"message": MESSAGE})
        await http.post("/v1.0/groups/g1/messages/m1/send", json={})
    assert_graph_error(served, 401, "InvalidAuthenticationToken")
    assert recorder.paths == ["/v1.0/groups/g1/messages/m1/send"]


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_path_an_earlier_route_takes_reaches_the_router(settings: Settings, db: Database) -> None:
    app = create_app(settings, db)
    earlier = APIRouter()

    @earlier.post("/v1.0/me/sendMail")
    async def other(request: Request) -> Response:
        return Response(status_code=204)

    # Ahead of every other route: the router gives it the request, so the fast path must not.
    app.router.routes.insert(0, earlier.routes[0])
    recorder = Recorder()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=DirectRoutes(recorder, graph_app=app)),
                             base_url="http://graph.test")
    async with http:
        await http.post("/v1.0/me/sendMail", json={"message": MESSAGE})
        await http.post("/beta/me/sendMail", json={"message": MESSAGE})
    assert recorder.paths == ["/v1.0/me/sendMail"]


def audit(request: Request) -> None:
    """A dependency someone might add to the sendMail route."""


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("include", [
    {"dependencies": [Depends(audit)]},  # on the inclusion of the router
    {"max_body_size": 1024},
])
async def test_a_send_mail_route_asking_for_more_stops_the_app_starting(settings: Settings, db: Database,
                                                                        include: dict[str, Any]) -> None:
    app = create_app(settings, db)
    app.include_router(send.router, prefix="/v1.0/groups/{group_id}", **include)
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "lifespan.startup"}

    async def send_(message: Message) -> None:
        sent.append(message)

    # Start-up, as uvicorn runs it: Starlette builds the middleware stack before the lifespan.
    with pytest.raises(FastPathMismatch, match=r"POST /v1\.0/groups/\{group_id\}/sendMail ahead of FastAPI's router"
                       r".* asks for (dependencies \(audit\)|a body limit of its own \(1024 bytes\))"):
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send_)
    assert sent == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_dependency_on_the_send_mail_route_itself_is_refused(settings: Settings, db: Database,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    [route] = [route for route in send.router.routes if getattr(route, "endpoint", None) is send_mail]
    monkeypatch.setattr(route, "dependencies", [Depends(audit)])
    app = create_app(settings, db)
    with pytest.raises(FastPathMismatch, match=r"POST /v1\.0/me/sendMail .* asks for dependencies \(audit\)"):
        DirectRoutes(Recorder(), graph_app=app)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_root_path_is_matched_as_the_router_matches_it(settings: Settings, db: Database) -> None:
    recorder = Recorder()
    app = RequestContextMiddleware(DirectRoutes(recorder, graph_app=create_app(settings, db)))
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, root_path="/graph"), base_url="http://graph.test")
    async with http:
        # Behind a proxy that mounts the app at /graph: the route's path is what follows it.
        served = await http.post("/graph/v1.0/me/sendMail", json={"message": MESSAGE})
        routed = await http.post("/graph/v1.0/me/messages", json={})
    assert_graph_error(served, 401, "InvalidAuthenticationToken")
    assert routed.status_code == 299
    assert recorder.paths == ["/graph/v1.0/me/messages"]
