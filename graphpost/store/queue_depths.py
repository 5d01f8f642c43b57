"""How much waits in the work queues, read at each /metrics scrape.

Every count is capped (`cap`): a count reads the rows it counts, and a scrape must stay cheap on
an outbox of millions of delivered entries. Each state's count reads the (state, created_at)
index only as far as the cap; past it, the gauge says "at least the cap", which is all an alert
needs. The notification queue's rows are all backlog (a row leaves when it is delivered or
dropped), counted through its primary key, up to the cap as well."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store.outbox import CAPTURED, DEFERRED, DELIVERED, FAILED, QUEUED
from graphpost.store.schema import notification_queue, outbox

OUTBOX_STATES = (QUEUED, DEFERRED, CAPTURED, FAILED, DELIVERED)
DEFAULT_CAP = 100_000


async def outbox_depths(conn: AsyncConnection, cap: int = DEFAULT_CAP) -> dict[str, int]:
    """Outbox entries per state, each at most `cap`, in one statement."""
    counts = [
        sa.select(sa.func.count()).select_from(
            sa.select(outbox.c.id).where(outbox.c.state == state).limit(cap).subquery()).scalar_subquery()
        for state in OUTBOX_STATES]
    row = (await conn.execute(sa.select(*counts))).one()
    return dict(zip(OUTBOX_STATES, (int(value) for value in row)))


async def notification_backlog(conn: AsyncConnection, cap: int = DEFAULT_CAP) -> int:
    """Notifications waiting to be POSTed (due or deferred), at most `cap`."""
    waiting = sa.select(notification_queue.c.id).limit(cap).subquery()
    return int((await conn.execute(sa.select(sa.func.count()).select_from(waiting))).scalar_one())
