"""Faults on purpose: seeded draws (pure), and a faulted write that has written nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from graphpost.api.faults import Faults
from graphpost.config import Settings
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import BOB, Mailbox, delegated, recipients
from tests.tokens import TokenMint


def draws(faults: Faults, count: int, method: str = "POST") -> list[int | None]:
    found = [faults.draw(method, "/v1.0/me/sendMail") for _ in range(count)]
    return [None if fault is None else fault.status for fault in found]


def test_the_same_seed_fails_the_same_requests_with_the_same_statuses() -> None:
    settings = Settings(faults=0.5, fault_seed=7)
    first, second = draws(Faults(settings), 200), draws(Faults(settings), 200)
    assert first == second
    failed = [status for status in first if status is not None]
    # About half fail, with every status of the set drawn.
    assert 60 < len(failed) < 140
    assert set(failed) == {429, 500, 502, 503, 504, 507}
    assert draws(Faults(Settings(faults=0.5, fault_seed=8)), 200) != first


def test_507_is_drawn_only_for_requests_that_store_something() -> None:
    faults = Faults(Settings(faults=1.0, fault_seed=1))
    assert 507 not in draws(faults, 200, "GET")
    assert 507 not in draws(faults, 200, "PATCH")
    assert draws(Faults(Settings(faults=1.0, fault_statuses=[507])), 3, "GET") == [None, None, None]


def test_only_graph_paths_fail_and_a_batch_only_inside() -> None:
    faults = Faults(Settings(faults=1.0, fault_seed=1))
    assert faults.draw("POST", "/common/oauth2/v2.0/token") is None
    assert faults.draw("PUT", "/upload/attachmentSessions/x") is None
    assert faults.draw("POST", "/v1.0/$batch") is None
    assert faults.draw("GET", "/beta/me/messages") is not None


def test_429_and_503_carry_retry_after_and_the_others_do_not() -> None:
    for status in (429, 503):
        fault = Faults(Settings(faults=1.0, fault_statuses=[status], fault_retry_after=1)).draw("GET", "/v1.0/me")
        assert fault is not None and fault.headers == {"Retry-After": "1"}
    fault = Faults(Settings(faults=1.0, fault_statuses=[502])).draw("GET", "/v1.0/me")
    assert fault is not None and fault.headers == {} and fault.code == "BadGateway"


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    # Every write fails with 507 (GETs are never given 507), so reads can look at what was written.
    return Settings(data_dir=data_dir, database_url=database_url, faults=1.0, fault_statuses=[507], fault_seed=3)


async def test_a_faulted_send_mail_wrote_nothing(alice: Mailbox, bob: Mailbox) -> None:
    response = await alice.send_mail({"subject": "Faulted", "toRecipients": recipients(BOB)})
    error = assert_graph_error(response, 507, "quotaLimitReached")
    assert "not run" in error["message"]
    assert "retry-after" not in response.headers
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)


async def test_a_faulted_draft_is_not_created(alice: Mailbox) -> None:
    assert_graph_error(await alice.post("messages", json={"subject": "Never"}), 507, "quotaLimitReached")
    assert await alice.counts("drafts") == (0, 0)


async def test_in_a_batch_each_request_fails_on_its_own(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    mailbox = await delegated(client, tokens)
    response = await client.post("/v1.0/$batch", headers=mailbox.headers, json={"requests": [
        {"id": "1", "method": "GET", "url": "/me/mailFolders/inbox"},
        {"id": "2", "method": "POST", "url": "/me/messages", "body": {"subject": "x"},
         "headers": {"Content-Type": "application/json"}}]})
    assert response.status_code == 200, response.text
    answers = {answer["id"]: answer for answer in response.json()["responses"]}
    assert answers["1"]["status"] == 200
    assert answers["2"]["status"] == 507
    assert answers["2"]["body"]["error"]["code"] == "quotaLimitReached"
