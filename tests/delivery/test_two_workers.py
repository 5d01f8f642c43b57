"""Two delivery workers on one PostgreSQL database claim disjoint entries (FOR UPDATE SKIP LOCKED):
while both run, no message reaches the relay twice, even when a round lasts longer than its lease
(the worker extends it). SQLite has a single claimer by design."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from graphpost.config import Settings
from graphpost.delivery.worker import DeliveryWorker
from graphpost.store import outbox
from graphpost.store.database import Database
from graphpost.store.schema import outbox as outbox_table
from tests.api.mail_helpers import Mailbox, recipients
from tests.delivery.conftest import SmtpRelay, make_worker

MESSAGES = 200
FAR = datetime(2100, 1, 1, tzinfo=timezone.utc)


@pytest.fixture(params=["postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


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


# A lease far shorter than a round: each DATA is held twice as long as the lease lasts.
SHORT_LEASE = timedelta(seconds=1)
DATA_HOLD = 2.0
SLOW_MESSAGES = 40


async def work_until(worker: DeliveryWorker, finished: asyncio.Event) -> int:
    """Rounds, polling when idle, until `finished`; the number of entries this worker tried."""
    tried = 0
    while not finished.is_set():
        handled = await worker.run_once()
        tried += handled
        if not handled:
            await asyncio.sleep(0.05)
    return tried


async def test_a_round_longer_than_its_lease_keeps_its_entries_and_every_message_arrives_once(
        alice: Mailbox, db: Database, second_db: Database, relay_settings: Settings, smtp_relay: SmtpRelay) -> None:
    responses = await asyncio.gather(*(
        alice.send_mail({"subject": f"Slow {number}", "toRecipients": recipients(f"user{number}@example.org")})
        for number in range(SLOW_MESSAGES)))
    assert {response.status_code for response in responses} == {202}
    smtp_relay.hold_data(DATA_HOLD)
    # Ten connections each: the big round takes three DATA holds in a row on each, the small one
    # one, after which its worker polls while the big round's entries are past their first lease.
    # Without the heartbeat it would claim and relay them again.
    settings = relay_settings.model_copy(update={"relay_max_connections": 10})
    big = make_worker(db, settings, batch=30, lease=SHORT_LEASE)
    small = make_worker(second_db, settings, batch=10, lease=SHORT_LEASE)
    finished = asyncio.Event()

    async def watch() -> None:
        # Until all are delivered, or a message arrives twice: without owned, extended leases two
        # workers take the same entries from each other round after round and none can settle.
        while len(smtp_relay.messages) <= SLOW_MESSAGES:
            async with db.read() as conn:
                if {entry.state for entry in await outbox.entries(conn)} == {outbox.DELIVERED}:
                    break
            await asyncio.sleep(0.1)
        finished.set()

    tried = await asyncio.wait_for(asyncio.gather(work_until(big, finished), work_until(small, finished), watch()),
                                   timeout=120)

    relayed = Counter(message.mime["Message-ID"] for message in smtp_relay.messages)
    assert {message_id: count for message_id, count in relayed.items() if count > 1} == {}
    assert len(relayed) == SLOW_MESSAGES
    assert tried[0] > 0 and tried[1] > 0 and tried[0] + tried[1] == SLOW_MESSAGES, tried
    async with db.read() as conn:
        assert all(entry.attempts == 1 for entry in [await outbox.entry(conn, listed.id)
                                                     for listed in await outbox.entries(conn)] if entry)


async def test_a_round_that_lost_its_lease_relays_none_of_the_entries_it_no_longer_holds(
        alice: Mailbox, db: Database, relay_settings: Settings, smtp_relay: SmtpRelay) -> None:
    for number in range(3):
        response = await alice.send_mail({"subject": f"Stolen {number}",
                                          "toRecipients": recipients(f"user{number}@example.org")})
        assert response.status_code == 202
    smtp_relay.hold_data(1.5)
    # One connection, so the round relays the three one after the other; the heartbeat looks
    # every 0.2 s, long before the first DATA is answered.
    settings = relay_settings.model_copy(update={"relay_max_connections": 1})
    worker = make_worker(db, settings, batch=10, lease=timedelta(seconds=0.6))
    round_ = asyncio.create_task(worker.run_once())
    for _ in range(200):
        async with db.read() as conn:
            owners = {row.lease_owner for row in await conn.execute(sa.select(outbox_table.c.lease_owner))}
        if owners == {worker.owner}:
            break
        await asyncio.sleep(0.01)
    assert owners == {worker.owner}
    # Another worker takes every entry, as it would once the lease had run out.
    async with db.write() as conn:
        await conn.execute(outbox_table.update().values(lease_owner="another", lease_until=FAR))
    assert await asyncio.wait_for(round_, timeout=30) == 3

    # Only the message already on the wire went out; the rest are the other worker's to relay.
    assert len(smtp_relay.messages) <= 1
    async with db.read() as conn:
        rows = (await conn.execute(sa.select(outbox_table.c.lease_owner, outbox_table.c.state))).all()
    assert {(row.lease_owner, row.state) for row in rows} == {("another", outbox.QUEUED)}
