"""How much waits in the work queues, read at each /metrics scrape.

Every count is capped (`cap`): a count reads the rows it counts, and a scrape must stay cheap on
an outbox of millions of delivered entries. Each state's count reads the (state, created_at)
index (or, for the state most rows are in, the table, as PostgreSQL's planner may choose) only as
far as the cap; past it, the gauge says "at least the cap", which is all an alert needs
(tests/store/test_queue_depths.py checks the plans). The notification queue's rows are all
backlog (a row leaves when it is delivered or dropped), counted up to the cap as well."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store.outbox import CAPTURED, DEFERRED, DELIVERED, FAILED, QUEUED
from graphpost.store.schema import notification_queue, outbox

OUTBOX_STATES = (QUEUED, DEFERRED, CAPTURED, FAILED, DELIVERED)
DEFAULT_CAP = 100_000


def outbox_depths_query(cap: int = DEFAULT_CAP) -> sa.Select[Any]:
    """One row: the count of each of OUTBOX_STATES, each at most `cap`."""
    counts = [
        sa.select(sa.func.count()).select_from(
            # `SELECT 1`: the (state, created_at) index alone answers it, no row is read.
            sa.select(sa.literal_column("1")).where(outbox.c.state == state).limit(cap).subquery()).scalar_subquery()
        for state in OUTBOX_STATES]
    return sa.select(*counts)


async def outbox_depths(conn: AsyncConnection, cap: int = DEFAULT_CAP) -> dict[str, int]:
    """Outbox entries per state, each at most `cap`, in one statement."""
    row = (await conn.execute(outbox_depths_query(cap))).one()
    return dict(zip(OUTBOX_STATES, (int(value) for value in row)))


async def notification_backlog(conn: AsyncConnection, cap: int = DEFAULT_CAP) -> int:
    """Notifications waiting to be POSTed (due or deferred), at most `cap`."""
    waiting = sa.select(sa.literal_column("1")).select_from(notification_queue).limit(cap).subquery()
    return int((await conn.execute(sa.select(sa.func.count()).select_from(waiting))).scalar_one())
