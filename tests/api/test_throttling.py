"""Graph's throttling: the counts with a fake clock (no sleeps), then the API's answers on both
backends — 429 with Retry-After and Graph's body, the concurrency limit with held requests, upload
bytes with upload session ranges, Exchange's messages per minute, $batch."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from urllib.parse import urlsplit

import httpx
import pytest
import sqlalchemy as sa

from graphpost.api.throttling import Throttle, Ticket
from graphpost.config import Settings
from graphpost.errors import Throttled
from graphpost.store.database import Database
from graphpost.store.schema import upload_sessions
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import BOB, Mailbox, as_application, delegated, recipients
from tests.api.test_upload_sessions import create_session, put_piece
from tests.tokens import TokenMint

MiB = 1024 * 1024
WAIT = 10  # seconds: the longest any held request is waited for


class FakeClock:
    def __init__(self) -> None:
        self.now = 1200.0  # on a bucket boundary of every window below

    def __call__(self) -> float:
        return self.now


def throttle(clock: FakeClock, **limits: Any) -> Throttle:
    return Throttle(Settings(throttling=True, **limits), clock)


def refusal(call: Callable[[], None]) -> Throttled:
    with pytest.raises(Throttled) as caught:
        call()
    return caught.value


def test_requests_past_the_limit_are_refused_until_the_window_moves_on() -> None:
    clock = FakeClock()
    limits = throttle(clock, throttle_requests=2, throttle_requests_window=timedelta(seconds=100))
    for _ in range(2):
        limits.admit(Ticket(), "t", "app", "alice", 0, False)
    refused = refusal(lambda: limits.admit(Ticket(), "t", "app", "alice", 0, False))
    assert (refused.status, refused.code, refused.message) == (429, "TooManyRequests", "Please retry again later.")
    assert refused.headers == {"Retry-After": "100"}
    # Another app on the same mailbox, or the same app on another, counts on its own.
    limits.admit(Ticket(), "t", "other app", "alice", 0, False)
    limits.admit(Ticket(), "t", "app", "bob", 0, False)
    clock.now += 100
    limits.admit(Ticket(), "t", "app", "alice", 0, False)


def test_requests_in_progress_past_the_limit_are_refused_until_one_ends() -> None:
    limits = throttle(FakeClock(), throttle_concurrency=2)
    held = [Ticket(), Ticket()]
    for ticket in held:
        limits.admit(ticket, "t", "app", "alice", 0, False)
    refused = refusal(lambda: limits.admit(Ticket(), "t", "app", "alice", 0, False))
    assert (refused.code, refused.message) == ("ApplicationThrottled",
                                               "Application is over its MailboxConcurrency limit.")
    assert refused.headers == {"Retry-After": "1"}
    held[0].release()
    held[0].release()  # a second release changes nothing
    limits.admit(Ticket(), "t", "app", "alice", 0, False)
    refusal(lambda: limits.admit(Ticket(), "t", "app", "alice", 0, False))


def test_upload_bytes_count_per_mailbox_across_apps_and_upload_ranges() -> None:
    clock = FakeClock()
    limits = throttle(clock, throttle_upload_bytes=1000, throttle_upload_window=timedelta(seconds=50))
    limits.admit(Ticket(), "t", "app", "alice", 600, False)
    limits.admit_upload("alice", 500)  # over the limit now: what comes next is refused
    refused = refusal(lambda: limits.admit(Ticket(), "t", "other app", "alice", 10, False))
    assert (refused.code, refused.message) == ("ApplicationThrottled", "Application is over its IncomingBytes limit.")
    assert refused.headers == {"Retry-After": "50"}
    refusal(lambda: limits.admit_upload("alice", 1))
    limits.admit(Ticket(), "t", "app", "alice", 0, False)  # a read uploads nothing
    limits.admit_upload("bob", 999)
    clock.now += 50
    limits.admit_upload("alice", 1)


def test_messages_sent_past_the_rate_are_refused() -> None:
    clock = FakeClock()
    limits = throttle(clock, throttle_messages=2)
    limits.admit(Ticket(), "t", "app", "alice", 0, True)
    limits.admit(Ticket(), "t", "other app", "alice", 0, True)
    refused = refusal(lambda: limits.admit(Ticket(), "t", "app", "alice", 0, True))
    assert (refused.code, refused.headers) == ("ErrorSubmissionQuotaExceeded", {"Retry-After": "60"})
    limits.admit(Ticket(), "t", "app", "alice", 0, False)  # reading goes on
    clock.now += 60
    limits.admit(Ticket(), "t", "app", "alice", 0, True)


def test_a_refused_request_is_not_counted_and_holds_no_slot() -> None:
    limits = throttle(FakeClock(), throttle_messages=1, throttle_requests=3)
    limits.admit(Ticket(), "t", "app", "alice", 0, True)
    ticket = Ticket()
    refusal(lambda: limits.admit(ticket, "t", "app", "alice", 0, True))
    assert ticket.held is None
    limits.admit(Ticket(), "t", "app", "alice", 0, False)
    limits.admit(Ticket(), "t", "app", "alice", 0, False)
    refusal(lambda: limits.admit(Ticket(), "t", "app", "alice", 0, False))


def test_past_max_keys_the_counters_idle_longest_are_forgotten_but_never_one_in_progress() -> None:
    limits = throttle(FakeClock(), throttle_max_keys=3)
    busy = Ticket()
    limits.admit(busy, "t", "app", "m0", 0, False)
    for index in range(1, 10):
        ticket = Ticket()
        limits.admit(ticket, "t", "app", f"m{index}", 0, False)
        ticket.release()
    assert len(limits.app_mailboxes) == 3
    assert len(limits.mailboxes) == 3
    assert ("t", "app", "m0") in limits.app_mailboxes.entries
    assert ("t", "app", "m9") in limits.app_mailboxes.entries


# --- The API, on SQLite and PostgreSQL.

LIMITS: dict[str, Any] = dict(throttle_requests=1000, throttle_concurrency=2, throttle_messages=1000,
                              throttle_upload_bytes=10_000_000)


@pytest.fixture
def limits() -> dict[str, Any]:
    return {}


@pytest.fixture
def settings(data_dir: Path, database_url: str, limits: dict[str, Any]) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url, throttling=True, **{**LIMITS, **limits})


def assert_throttled(response: httpx.Response, code: str, window: int) -> None:
    assert_graph_error(response, 429, code)
    assert 1 <= int(response.headers["retry-after"]) <= window


@pytest.mark.parametrize("limits", [{"throttle_requests": 3}])
async def test_requests_past_the_limit_answer_429_too_many_requests(
        client: httpx.AsyncClient, tokens: TokenMint, alice: Mailbox, bob: Mailbox) -> None:
    for _ in range(3):
        assert (await alice.get("mailFolders/inbox")).status_code == 200
    response = await alice.get("mailFolders/inbox")
    assert_throttled(response, "TooManyRequests", 600)
    assert response.json()["error"]["message"] == "Please retry again later."
    # Another mailbox, and another app on alice's, are not throttled.
    assert (await bob.get("mailFolders/inbox")).status_code == 200
    assert (await (await as_application(client, tokens)).get("mailFolders/inbox")).status_code == 200


def app_of(client: httpx.AsyncClient) -> Any:
    return client._transport.app  # type: ignore[attr-defined]


async def test_requests_in_progress_past_the_limit_answer_mailbox_concurrency(
        client: httpx.AsyncClient, alice: Mailbox, bob: Mailbox) -> None:
    submissions = app_of(client).state.runtime.submissions
    original = submissions.send_mail
    entered, release = asyncio.Semaphore(0), asyncio.Event()

    async def held(*args: Any) -> Any:
        entered.release()
        await release.wait()
        return await original(*args)

    submissions.send_mail = held
    message = {"subject": "Held", "toRecipients": recipients(BOB)}
    sends = [asyncio.create_task(alice.send_mail(message)) for _ in range(2)]
    try:
        for _ in sends:
            await asyncio.wait_for(entered.acquire(), WAIT)
        response = await alice.get("mailFolders/inbox")
        assert_throttled(response, "ApplicationThrottled", 1)
        assert response.json()["error"]["message"] == "Application is over its MailboxConcurrency limit."
        assert (await bob.get("mailFolders/inbox")).status_code == 200
    finally:
        release.set()
        answers = await asyncio.wait_for(asyncio.gather(*sends), WAIT)
    assert [answer.status_code for answer in answers] == [202, 202]
    submissions.send_mail = original
    assert (await alice.get("mailFolders/inbox")).status_code == 200
    assert await alice.counts("sentitems") == (2, 0)


async def upload_progress(db: Database, url: str) -> int:
    session_id = urlsplit(url).path.rsplit("/", 1)[1]
    async with db.read() as conn:
        return (await conn.execute(sa.select(upload_sessions.c.received).where(
            upload_sessions.c.id == session_id))).scalar_one()


@pytest.mark.parametrize("limits", [{"throttle_upload_bytes": 2 * MiB}])
async def test_upload_bytes_past_the_limit_refuse_the_next_range_before_it_is_stored(
        client: httpx.AsyncClient, alice: Mailbox, db: Database) -> None:
    draft = await alice.create_draft(subject="Big", toRecipients=recipients(BOB))
    data = bytes(range(256)) * (3 * MiB // 256)
    session = await create_session(alice, draft["id"], len(data))
    assert (await put_piece(client, session["uploadUrl"], data, 0, 2 * MiB)).status_code == 200
    # The draft, the session and the first range have passed 2 MiB.
    response = await put_piece(client, session["uploadUrl"], data, 2 * MiB, MiB)
    assert_throttled(response, "ApplicationThrottled", 300)
    assert response.json()["error"]["message"] == "Application is over its IncomingBytes limit."
    assert_throttled(await alice.patch(f"messages/{draft['id']}", json={"subject": "Big!"}),
                     "ApplicationThrottled", 300)
    # Nothing of the refused range was stored, and reading goes on.
    assert (await alice.get(f"messages/{draft['id']}/attachments")).json()["value"] == []
    assert await upload_progress(db, session["uploadUrl"]) == 2 * MiB


@pytest.mark.parametrize("limits", [{"throttle_messages": 2}])
async def test_messages_past_the_rate_answer_429_and_are_not_sent(alice: Mailbox, bob: Mailbox) -> None:
    message = {"subject": "Rate", "toRecipients": recipients(BOB)}
    assert (await alice.send_mail(message)).status_code == 202
    draft = await alice.create_draft(**message)
    assert (await alice.send(draft["id"])).status_code == 202
    response = await alice.send_mail(message)
    assert_throttled(response, "ErrorSubmissionQuotaExceeded", 60)
    other = await alice.create_draft(**message)
    assert_throttled(await alice.send(other["id"]), "ErrorSubmissionQuotaExceeded", 60)
    assert await alice.counts("sentitems") == (2, 0)
    assert await alice.counts("drafts") == (1, 0)
    assert await bob.counts("inbox") == (2, 2)


@pytest.mark.parametrize("limits", [{"throttle_requests": 2}])
async def test_a_batch_answers_429_inside_for_the_requests_past_the_limit(
        client: httpx.AsyncClient, tokens: TokenMint) -> None:
    alice = await delegated(client, tokens)
    response = await client.post("/v1.0/$batch", headers=alice.headers, json={"requests": [
        {"id": str(index), "method": "GET", "url": "/me/mailFolders/inbox"} for index in range(3)]})
    assert response.status_code == 200, response.text
    answers = response.json()["responses"]
    assert sorted(answer["status"] for answer in answers) == [200, 200, 429]
    [throttled] = [answer for answer in answers if answer["status"] == 429]
    assert throttled["body"]["error"]["code"] == "TooManyRequests"
    assert 1 <= int(throttled["headers"]["Retry-After"]) <= 600


async def test_a_batch_runs_as_many_requests_at_once_as_the_concurrency_limit_allows(
        client: httpx.AsyncClient, tokens: TokenMint) -> None:
    alice = await delegated(client, tokens)
    submissions = app_of(client).state.runtime.submissions
    original = submissions.send_mail
    running = most = 0

    async def counted(*args: Any) -> Any:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            for _ in range(3):  # let the others of the batch start, if they may
                await asyncio.sleep(0)
            return await original(*args)
        finally:
            running -= 1

    submissions.send_mail = counted
    body = {"message": {"subject": "Batched", "toRecipients": recipients(BOB)}}
    response = await client.post("/v1.0/$batch", headers=alice.headers, json={"requests": [
        {"id": str(index), "method": "POST", "url": "/me/sendMail", "body": body,
         "headers": {"Content-Type": "application/json"}} for index in range(6)]})
    assert response.status_code == 200, response.text
    assert [answer["status"] for answer in response.json()["responses"]] == [202] * 6
    assert most == 2
    assert await alice.counts("sentitems") == (6, 0)



@pytest.mark.parametrize(("options", "installed"), [({}, False), ({"throttling": True}, True),
                                                    ({"faults": 0.1}, True)])
async def test_the_middleware_is_there_only_when_throttling_or_faults_are_on(
        data_dir: Path, database_url: str, db: Database, options: dict[str, Any], installed: bool) -> None:
    from graphpost.api.app import create_app
    from graphpost.api.limits_middleware import GraphLimitsMiddleware
    app = create_app(Settings(data_dir=data_dir, database_url=database_url, **options), db)
    assert any(middleware.cls is GraphLimitsMiddleware for middleware in app.user_middleware) is installed
    assert (app.state.runtime.throttle is not None) is options.get("throttling", False)
