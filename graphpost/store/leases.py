"""Leases on the rows of a work queue, with owners (as procrastinate's worker holds its jobs).

A worker claims due rows under its own name (`new_owner`, one per worker) until a time; while it
works on them it extends that time (`heartbeat`, every third of the lease), and when done it
settles them, but only those still its own. A worker that stalls or dies lets its lease run out:
another worker claims the rows and the stalled one, should it wake, changes nothing.

Generic over the table: it needs an integer `id`, `lease_until` and `lease_owner` columns; what
is due is the caller's condition. The outbox (store/outbox.py) uses it; the next queue should too."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store.database import Database

log = logging.getLogger("graphpost.store.leases")


def new_owner() -> str:
    """A name for a worker's leases: unique to it, so that two workers (or a worker and its
    restarted self) never take each other's rows for their own."""
    return uuid.uuid4().hex


def _held(table: sa.Table, ids: Sequence[int], owner: str) -> sa.ColumnElement[bool]:
    return table.c.id.in_(ids) & (table.c.lease_owner == owner)


async def claim(conn: AsyncConnection, table: sa.Table, due: sa.ColumnElement[bool], owner: str,
                now: datetime, until: datetime, limit: int) -> list[int]:
    """Lease to `owner` up to `limit` rows that are `due` and not leased (or whose lease has run
    out), oldest id first. On PostgreSQL the rows are locked with SKIP LOCKED, so concurrent
    claimers take disjoint sets; SQLite has one writer at a time anyway."""
    free = sa.or_(table.c.lease_until.is_(None), table.c.lease_until <= now)
    query = (sa.select(table.c.id).where(due, free).order_by(table.c.id).limit(limit)
             .with_for_update(skip_locked=True))
    ids = [row.id for row in await conn.execute(query)]
    if ids:
        await conn.execute(table.update().where(table.c.id.in_(ids)).values(lease_owner=owner, lease_until=until))
    return ids


async def extend(conn: AsyncConnection, table: sa.Table, ids: Sequence[int], owner: str,
                 until: datetime) -> list[int]:
    """Hold these rows until `until`; only those still `owner`'s are touched. Returns them."""
    if not ids:
        return []
    result = await conn.execute(table.update().where(_held(table, ids, owner))
                                .values(lease_until=until).returning(table.c.id))
    return sorted(row.id for row in result)


async def release(conn: AsyncConnection, table: sa.Table, ids: Sequence[int], owner: str,
                  values: dict[str, Any]) -> list[int]:
    """Write `values` to those of these rows still leased to `owner`, ending their lease. A row
    another worker has claimed since (our lease ran out) is left as it is, with a warning: it is
    that worker's now. Returns the ids written."""
    if not ids:
        return []
    result = await conn.execute(table.update().where(_held(table, ids, owner))
                                .values(**values, lease_owner=None, lease_until=None).returning(table.c.id))
    written = sorted(row.id for row in result)
    if len(written) < len(ids):
        lost = sorted(set(ids) - set(written))
        log.warning("%s rows %s are no longer leased to %s; left as they are", table.name, lost, owner)
    return written


class Held:
    """The rows a heartbeat keeps, and those it found taken by another worker: the block asks
    before it works on a row, so that a round that outlived its lease stops at the next row
    instead of doing the rest of it a second time."""

    def __init__(self, ids: Sequence[int]) -> None:
        self.ids = list(ids)
        self.lost: set[int] = set()

    def holds(self, row_id: int) -> bool:
        return row_id not in self.lost


@asynccontextmanager
async def heartbeat(db: Database, table: sa.Table, ids: Sequence[int], owner: str,
                    lease: timedelta) -> AsyncIterator[Held]:
    """While the block runs, extend the lease on these rows every third of `lease`, so that a
    long round (a slow relay) keeps them: two beats may be missed before the lease runs out.
    Yields a `Held` that says which rows are still ours after the last beat."""
    held = Held(ids)

    async def beat() -> None:
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            try:
                async with db.write() as conn:
                    kept = await extend(conn, table, ids, owner, datetime.now(timezone.utc) + lease)
            except Exception:
                log.exception("extending the lease of %s rows failed; trying again", table.name)
                continue
            lost = set(ids) - set(kept) - held.lost
            if lost:
                held.lost |= lost
                log.warning("%s rows %s were claimed by another worker: our lease had run out", table.name,
                            sorted(lost))

    task = asyncio.create_task(beat())
    try:
        yield held
    finally:
        task.cancel()
        # Wait for the beat to end (it may be inside a write); its cancellation is not ours.
        await asyncio.gather(task, return_exceptions=True)
