"""Every record logged while a request is served carries its request id (graphpost/logs.py): its
access record, an unhandled error's traceback, and each request of a $batch its own."""

from __future__ import annotations

import logging
from typing import Any, Iterator

import httpx
import pytest

from graphpost.api import users
from graphpost.logs import RequestIdFilter
from tests.api.mail_helpers import Mailbox


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def of(self, logger: str) -> list[logging.LogRecord]:
        return [record for record in self.records if record.name == logger]


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("graphpost")
    saved = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(saved)


async def test_the_access_record_carries_the_request_id(alice: Mailbox, records: Records) -> None:
    response = await alice.get("messages?$top=1")
    [access] = records.of("graphpost.access")
    assert access.request_id == response.headers["request-id"]  # type: ignore[attr-defined]
    assert (access.route, access.status, access.method) == ("/v1.0/me/messages", 200, "GET")  # type: ignore[attr-defined]


async def test_an_unhandled_errors_traceback_carries_the_request_id(
        alice: Mailbox, records: Records, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*args: Any) -> Any:
        raise RuntimeError("the directory is on fire")

    monkeypatch.setattr(users, "signed_in_user", broken)
    transport = alice.client._transport  # raise_app_exceptions=False: the answer, as a server sends it
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=transport.app, raise_app_exceptions=False),  # type: ignore[attr-defined]
                               base_url="http://graph.test")
    async with client:
        response = await client.get("/v1.0/me", headers=alice.headers)
    assert response.status_code == 500
    request_id = response.json()["error"]["innerError"]["request-id"]
    [error] = [record for record in records.of("graphpost.api.errors") if record.levelno == logging.ERROR]
    assert error.request_id == request_id and error.exc_info is not None  # type: ignore[attr-defined]
    [access] = records.of("graphpost.access")
    assert (access.request_id, access.status) == (request_id, 500)  # type: ignore[attr-defined]


async def test_each_request_of_a_batch_has_its_own_id_and_the_batch_its_own(
        client: httpx.AsyncClient, alice: Mailbox, records: Records) -> None:
    response = await client.post("/v1.0/$batch", headers=alice.headers, json={"requests": [
        {"id": "1", "method": "GET", "url": "/me/messages?$top=1"},
        {"id": "2", "method": "GET", "url": "/me/mailFolders?$top=1"}]})
    assert response.status_code == 200
    inner = {answer["id"]: answer["headers"].get("request-id") for answer in response.json()["responses"]}
    access = {record.route: record.request_id for record in records.of("graphpost.access")}  # type: ignore[attr-defined]
    assert access["/v1.0/$batch"] == response.headers["request-id"]
    assert {access["/v1.0/me/messages"], access["/v1.0/me/mailFolders"]} == {inner["1"], inner["2"]}
    assert len({*access.values()}) == 3
