"""Simulator addresses (@simulator.graphpost.test): each answered by the simulated server through
the worker's real paths (retry schedule, outbox states, non-delivery reports), in capture mode and
in relay mode alike; in relay mode a real SMTP relay is up and is shown to receive nothing of
theirs. Each test runs the worker's rounds itself and waits for the simulated work it started
(`DeliveryWorker.simulated`); slow@'s wait is held on an event the test releases."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import AsyncIterator

import httpx
import pytest

from graphpost.api.app import create_app
from graphpost.config import Settings
from graphpost.delivery.relay import Relay
from graphpost.delivery.retry import RetrySchedule
from graphpost.delivery.simulator import SimulatedServer
from graphpost.delivery.worker import DeliveryWorker
from graphpost.mail.simulator import SIMULATOR_DOMAIN
from graphpost.store import outbox
from graphpost.store.database import Database
from tests.api.mail_helpers import ALICE, Mailbox, addresses, recipients
from tests.delivery.conftest import RETRY_FIRST, SmtpRelay
from tests.delivery.test_worker import assert_bounced, make_due, queue, send

SUCCESS, BOUNCE, DEFER, SLOW, OOTO, FULL, NOBODY = (f"{name}@{SIMULATOR_DOMAIN}" for name in (
    "success", "bounce", "defer", "slow", "ooto", "full", "nobody"))
ERIN = "erin@example.org"
HOLD = 30.0  # seconds: only a test whose slow@ is never released waits this long, then fails


class HeldSimulator(SimulatedServer):
    """slow@'s wait ends when the test says so, not after a time."""

    def __init__(self) -> None:
        super().__init__(timedelta(hours=1))
        self.holding = asyncio.Event()
        self.released = asyncio.Event()

    async def hold(self) -> None:
        self.holding.set()
        await asyncio.wait_for(self.released.wait(), HOLD)


@pytest.fixture(params=["capture", "relay"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def mode_settings(mode: str, settings: Settings, relay_settings: Settings) -> Settings:
    """Relay mode points at the test's SMTP relay; capture mode has no relay_host (the relay is
    up all the same, and never hears of anything)."""
    return relay_settings if mode == "relay" else settings


@pytest.fixture
async def client(mode_settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(mode_settings, db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://graph.test") as http:
        yield http


@pytest.fixture
def simulator() -> HeldSimulator:
    return HeldSimulator()


@pytest.fixture
def worker(db: Database, mode_settings: Settings, simulator: HeldSimulator) -> DeliveryWorker:
    relay = Relay(mode_settings) if mode_settings.relay_host else None
    return DeliveryWorker(db, relay, RetrySchedule(first=RETRY_FIRST, maximum=timedelta(seconds=1)),
                          simulator=simulator)


async def deliver(worker: DeliveryWorker) -> int:
    """One round, and the simulated work it started, settled."""
    tried = await worker.run_once()
    await asyncio.wait_for(worker.simulated(), HOLD)
    return tried


async def test_success_is_delivered_and_the_relay_hears_nothing(
        alice: Mailbox, db: Database, smtp_relay: SmtpRelay, worker: DeliveryWorker) -> None:
    await send(alice, toRecipients=recipients(SUCCESS))
    assert {key: entry.state for key, entry in (await queue(db)).items()} == {SUCCESS: "queued"}

    assert await deliver(worker) == 1
    entry = (await queue(db))[SUCCESS]
    assert (entry.state, entry.attempts, entry.last_error, entry.next_attempt_at) == ("delivered", 1, None, None)
    assert await alice.counts("inbox") == (0, 0)
    assert smtp_relay.messages == []
    assert await deliver(worker) == 0


async def test_bounce_fails_with_5_1_1_and_a_report_reaches_the_sender(
        alice: Mailbox, db: Database, smtp_relay: SmtpRelay, worker: DeliveryWorker) -> None:
    sent = await send(alice, subject="To nobody", toRecipients=recipients(BOUNCE))

    assert await deliver(worker) == 1
    entry = (await queue(db))[BOUNCE]
    assert (entry.state, entry.attempts) == ("failed", 1)
    assert entry.last_error is not None and entry.last_error.startswith("550 5.1.1 ")
    await assert_bounced(alice, sent, BOUNCE, "550 5.1.1")
    assert smtp_relay.messages == []


async def test_full_fails_with_552_5_2_2_and_a_report_reaches_the_sender(
        alice: Mailbox, db: Database, smtp_relay: SmtpRelay, worker: DeliveryWorker) -> None:
    sent = await send(alice, subject="Too big", toRecipients=recipients(FULL))

    assert await deliver(worker) == 1
    entry = (await queue(db))[FULL]
    assert (entry.state, entry.attempts) == ("failed", 1)
    assert entry.last_error is not None and entry.last_error.startswith("552 5.2.2 ")
    assert "Mailbox full" in entry.last_error
    await assert_bounced(alice, sent, FULL, "552 5.2.2")
    assert smtp_relay.messages == []


async def test_any_other_address_of_the_domain_bounces_as_unknown(
        alice: Mailbox, db: Database, smtp_relay: SmtpRelay, worker: DeliveryWorker) -> None:
    sent = await send(alice, subject="Anyone?", toRecipients=recipients(NOBODY))

    assert await deliver(worker) == 1
    entry = (await queue(db))[NOBODY]
    assert entry.state == "failed" and entry.last_error is not None and entry.last_error.startswith("550 5.1.1 ")
    await assert_bounced(alice, sent, NOBODY, "550 5.1.1")


async def test_defer_is_answered_451_three_times_on_the_retry_schedule_then_delivered(
        alice: Mailbox, db: Database, smtp_relay: SmtpRelay, worker: DeliveryWorker) -> None:
    await send(alice, toRecipients=recipients(DEFER))

    for attempt in (1, 2, 3):
        assert await deliver(worker) == 1
        entry = (await queue(db))[DEFER]
        assert (entry.state, entry.attempts) == ("deferred", attempt)
        assert entry.last_error is not None and entry.last_error.startswith("451 4.4.0 ")
        assert f"attempt {attempt} of 3" in entry.last_error
        # The real schedule: the first wait, doubled after each failure (capped at `maximum`).
        assert entry.next_attempt_at == entry.updated_at + RETRY_FIRST * 2 ** (attempt - 1)
        assert await deliver(worker) == 0  # not due before its time
        await make_due(db)

    assert await deliver(worker) == 1
    entry = (await queue(db))[DEFER]
    assert (entry.state, entry.attempts, entry.last_error, entry.next_attempt_at) == ("delivered", 4, None, None)
    assert await alice.counts("inbox") == (0, 0)  # no report for a delay
    assert smtp_relay.messages == []


async def test_slow_is_delivered_after_its_wait_without_holding_up_other_mail_or_the_api(
        alice: Mailbox, db: Database, smtp_relay: SmtpRelay, worker: DeliveryWorker,
        simulator: HeldSimulator, mode: str) -> None:
    await send(alice, subject="Slowly", toRecipients=recipients(SLOW))
    await send(alice, subject="Quickly", toRecipients=recipients(SUCCESS))
    if mode == "relay":
        await send(alice, subject="Relayed", toRecipients=recipients(ERIN))

    assert await worker.run_once() == (3 if mode == "relay" else 2)  # returns while slow@ waits
    await asyncio.wait_for(simulator.holding.wait(), HOLD)
    await asyncio.wait_for(_until_delivered(db, SUCCESS), HOLD)
    states = {key: entry.state for key, entry in (await queue(db)).items()}
    assert states[SLOW] == "queued"
    if mode == "relay":
        assert states[ERIN] == "delivered"
        [relayed] = smtp_relay.messages
        assert relayed.rcpt_tos == [ERIN]
    assert await alice.counts("inbox") == (0, 0)  # the API answers meanwhile
    assert await worker.run_once() == 0  # slow@ stays leased to the task that waits for it

    simulator.released.set()
    await asyncio.wait_for(worker.simulated(), HOLD)
    entry = (await queue(db))[SLOW]
    assert (entry.state, entry.attempts, entry.last_error) == ("delivered", 1, None)
    assert len(smtp_relay.messages) == (1 if mode == "relay" else 0)


async def _until_delivered(db: Database, recipient: str) -> None:
    while (await queue(db))[recipient].state != "delivered":
        await asyncio.sleep(0.01)


async def test_slow_waits_the_configured_delay() -> None:
    entry = outbox.ClaimedEntry(1, "submission", SLOW, 0, datetime.now(timezone.utc))
    slow = SimulatedServer(timedelta(seconds=5))
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(slow.send([entry]), 0.05)  # a lower bound only: it cannot answer early
    answered = await SimulatedServer(timedelta(0)).send([entry])
    assert answered.outcome.accepted == [SLOW]


async def test_ooto_is_delivered_and_an_automatic_reply_reaches_the_senders_inbox(
        alice: Mailbox, db: Database, smtp_relay: SmtpRelay, worker: DeliveryWorker) -> None:
    sent = await send(alice, subject="Lunch?", toRecipients=recipients(OOTO))

    assert await deliver(worker) == 1
    assert (await queue(db))[OOTO].state == "delivered"
    [reply] = await alice.messages_in("inbox")
    assert reply["subject"] == "Automatic reply: Lunch?"
    assert addresses([reply["from"]]) == [OOTO] and addresses(reply["toRecipients"]) == [ALICE]
    assert reply["isRead"] is False and reply["isDraft"] is False
    # Graph returns internetMessageHeaders only when selected.
    selected = await alice.get(f"messages/{reply['id']}", params={"$select": "internetMessageHeaders"})
    assert selected.status_code == 200, selected.text
    headers = {header["name"]: header["value"] for header in selected.json()["internetMessageHeaders"]}
    assert headers["X-Auto-Response-Suppress"] == "All"
    assert headers["X-MS-Exchange-Inbox-Rules-Loop"] == OOTO
    raw = (await alice.mime(reply["id"])).decode()
    assert sent["internetMessageId"] in raw  # In-Reply-To and References name the original
    assert reply["from"]["emailAddress"]["name"] == "Out of Office (graphpost simulator)"
    assert smtp_relay.messages == []
    assert await deliver(worker) == 0 and await alice.counts("inbox") == (1, 1)  # one reply, once


async def test_one_message_to_every_address_gets_each_answer_and_the_external_recipient_its_own_path(
        alice: Mailbox, db: Database, smtp_relay: SmtpRelay, worker: DeliveryWorker,
        simulator: HeldSimulator, mode: str) -> None:
    simulator.released.set()
    sent = await send(alice, subject="Everyone", toRecipients=recipients(SUCCESS, BOUNCE, DEFER, SLOW, OOTO, FULL),
                      ccRecipients=recipients(ERIN))

    assert await deliver(worker) == (7 if mode == "relay" else 6)
    states = {key: entry.state for key, entry in (await queue(db)).items()}
    assert states == {SUCCESS: "delivered", BOUNCE: "failed", DEFER: "deferred", SLOW: "delivered",
                      OOTO: "delivered", FULL: "failed",
                      ERIN: "delivered" if mode == "relay" else "captured"}
    if mode == "relay":
        [relayed] = smtp_relay.messages
        assert relayed.rcpt_tos == [ERIN]  # the simulator's recipients were never given to the relay
    else:
        assert smtp_relay.messages == []
    inbox = {message["subject"]: message for message in await alice.messages_in("inbox")}
    assert set(inbox) == {"Undeliverable: Everyone", "Automatic reply: Everyone"}
    # One report for the message, naming both refused recipients with their answers.
    body = (await alice.message(inbox["Undeliverable: Everyone"]["id"]))["body"]["content"]
    assert BOUNCE in body and FULL in body and "550 5.1.1" in body and "552 5.2.2" in body
    assert sent["subject"] == "Everyone"
