"""Leases with owners (store/leases.py through store/outbox.py): a worker whose lease ran out and
whose entries another worker has claimed can neither settle nor extend them."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa

from graphpost.store import leases, outbox
from graphpost.store.database import Database
from graphpost.store.schema import outbox as outbox_table
from graphpost.store.schema import users
from tests.api.mail_helpers import ALICE

AT = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
LEASE = timedelta(minutes=5)


async def queued_entry(db: Database) -> int:
    async with db.write() as conn:
        user_id = (await conn.execute(sa.select(users.c.id).where(users.c.mail == ALICE))).scalar_one()
        await outbox.add_submissions(conn, [outbox.NewSubmission(
            str(uuid.uuid4()), user_id, "<lease@contoso.test>", {"subject": "Lease"}, ["erin@example.org"])],
            outbox.QUEUED, AT)
        return (await conn.execute(sa.select(outbox_table.c.id))).scalar_one()


async def row(db: Database, entry_id: int) -> dict[str, Any]:
    async with db.read() as conn:
        found = (await conn.execute(sa.select(outbox_table).where(outbox_table.c.id == entry_id))).one()
    return dict(found._mapping)


async def test_a_worker_whose_entry_was_claimed_again_settles_and_extends_nothing(
        db: Database, caplog: pytest.LogCaptureFixture) -> None:
    entry_id = await queued_entry(db)
    first, second = leases.new_owner(), leases.new_owner()
    async with db.write() as conn:
        [claimed] = await outbox.claim_due(conn, first, AT, AT + LEASE, 10)
        # Still leased: nobody else takes it.
        assert await outbox.claim_due(conn, second, AT + LEASE / 2, AT + LEASE / 2 + LEASE, 10) == []
    assert claimed.id == entry_id
    # The first worker stalls past its lease; the second claims the entry.
    later = AT + LEASE + timedelta(seconds=1)
    async with db.write() as conn:
        assert [entry.id for entry in await outbox.claim_due(conn, second, later, later + LEASE, 10)] == [entry_id]
    held = await row(db, entry_id)
    assert (held["lease_owner"], held["lease_until"], held["state"]) == (second, later + LEASE, outbox.QUEUED)

    # The first wakes up: its settle and its extension find the row no longer its own.
    with caplog.at_level(logging.WARNING, logger="graphpost.store.leases"):
        async with db.write() as conn:
            assert await outbox.settle(conn, [entry_id], first, outbox.DELIVERED, later) == []
            assert await leases.extend(conn, outbox_table, [entry_id], first, later + 2 * LEASE) == []
    assert await row(db, entry_id) == held
    assert any(str(entry_id) in record.getMessage() and first in record.getMessage() for record in caplog.records)

    # Its owner settles it.
    async with db.write() as conn:
        assert await outbox.settle(conn, [entry_id], second, outbox.DELIVERED, later) == [entry_id]
    done = await row(db, entry_id)
    assert (done["state"], done["attempts"], done["lease_owner"], done["lease_until"]) == (
        outbox.DELIVERED, 1, None, None)


async def test_the_owner_extends_its_lease(db: Database) -> None:
    entry_id = await queued_entry(db)
    owner = leases.new_owner()
    async with db.write() as conn:
        await outbox.claim_due(conn, owner, AT, AT + LEASE, 10)
        assert await leases.extend(conn, outbox_table, [entry_id], owner, AT + 2 * LEASE) == [entry_id]
        # Past the first lease, but within the extended one: not claimable.
        assert await outbox.claim_due(conn, leases.new_owner(), AT + LEASE * 1.5, AT + 3 * LEASE, 10) == []
    assert (await row(db, entry_id))["lease_until"] == AT + 2 * LEASE
