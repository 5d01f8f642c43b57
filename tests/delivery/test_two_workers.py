"""Two delivery workers on one PostgreSQL database claim disjoint entries (FOR UPDATE SKIP LOCKED):
while both run, no message reaches the relay twice. SQLite has a single claimer by design."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import AsyncIterator

import pytest

from graphpost.config import Settings
from graphpost.delivery.worker import DeliveryWorker
from graphpost.store import outbox
from graphpost.store.database import Database
from tests.api.mail_helpers import Mailbox, recipients
from tests.delivery.conftest import SmtpRelay, make_worker

MESSAGES = 200


@pytest.fixture(params=["postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def second_db(settings: Settings, db: Database) -> AsyncIterator[Database]:
    """Another process's view of the same database: its own engine and connections."""
    other = Database(settings.sqlalchemy_url)
    yield other
    await other.dispose()


async def drain(worker: DeliveryWorker) -> int:
    """Rounds until nothing is left to claim; the number of entries this worker tried."""
    tried = 0
    while handled := await worker.run_once():
        tried += handled
    return tried


async def test_two_workers_never_relay_the_same_entry_twice(
        alice: Mailbox, db: Database, second_db: Database, relay_settings: Settings, smtp_relay: SmtpRelay) -> None:
    responses = await asyncio.gather(*(
        alice.send_mail({"subject": f"Message {number}", "toRecipients": recipients(f"user{number}@example.org")})
        for number in range(MESSAGES)))
    assert {response.status_code for response in responses} == {202}
    async with db.read() as conn:
        queued = await outbox.entries(conn)
    assert len(queued) == MESSAGES and {entry.state for entry in queued} == {"queued"}

    # Small batches, so that the two interleave over many rounds.
    first, second = make_worker(db, relay_settings, batch=10), make_worker(second_db, relay_settings, batch=10)
    tried = await asyncio.gather(drain(first), drain(second))

    relayed = Counter(message.mime["Message-ID"] for message in smtp_relay.messages)
    assert {message_id: count for message_id, count in relayed.items() if count > 1} == {}
    assert set(relayed) == {entry.internet_message_id for entry in queued}
    assert all(count > 0 for count in tried), tried  # both took part
    assert sum(tried) == MESSAGES
    async with db.read() as conn:
        assert {entry.state for entry in await outbox.entries(conn)} == {"delivered"}
