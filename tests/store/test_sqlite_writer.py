"""The SQLite writer process (store/sqlite_writer.py): what it commits is there for the app's own
readers at once, a writer that died is replaced on the next write, it stops with the app, and its
pipes hold a whole batch."""

from __future__ import annotations

import asyncio
import fcntl
import os
import signal
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from graphpost.store import bulk
from graphpost.store.database import Database
from graphpost.store.schema import tenants
from graphpost.store.sqlite_writer import PIPE_BYTES, WriterGone, WriterProcess

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])
F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)
AT = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def _tenant(n: int) -> dict[str, object]:
    return {"id": f"{n:036d}", "display_name": f"Tenant {n}", "created_at": AT}


def _writer(db: Database) -> WriterProcess:
    writer = db._writer_process
    assert writer is not None
    return writer


def _child_pid(db: Database) -> int:
    child = _writer(db)._child
    assert child is not None
    return child.process.pid


async def _count(db: Database) -> int:
    async with db.read() as conn:
        return (await conn.execute(sa.select(sa.func.count()).select_from(tenants)
                                   .where(tenants.c.id.between(f"{500:036d}", f"{999:036d}")))).scalar_one()


async def test_commits_are_visible_to_readers_when_the_write_returns(db: Database) -> None:
    for n in range(500, 520):
        await bulk.insert_all(db, [(tenants, [_tenant(n)])])
        assert await _count(db) == n - 499


async def test_a_writer_that_died_is_replaced_on_the_next_write(db: Database) -> None:
    await bulk.insert_all(db, [(tenants, [_tenant(500)])])
    first = _child_pid(db)
    os.kill(first, signal.SIGKILL)
    # Until the parent has seen it go, a write may fail with WriterGone; none is lost silently.
    for n in range(501, 511):
        for _ in range(50):
            try:
                await bulk.insert_all(db, [(tenants, [_tenant(n)])])
                break
            except WriterGone:
                await asyncio.sleep(0.02)
    assert _child_pid(db) != first
    assert await _count(db) == 11


async def test_the_writer_stops_with_the_database(db: Database) -> None:
    await bulk.insert_all(db, [(tenants, [_tenant(500)])])
    child = _writer(db)._child
    assert child is not None
    await db.dispose()
    assert child.process.returncode == 0


async def test_the_pipes_to_the_writer_hold_a_whole_batch(db: Database) -> None:
    # A batch of sendMails pickles to more than a default pipe's 64 KiB (store/sqlite_writer.py).
    await bulk.insert_all(db, [(tenants, [_tenant(500)])])
    child = _writer(db)._child
    assert child is not None and child.process.stdin is not None
    stdin = child.process.stdin.transport.get_extra_info("pipe")
    assert fcntl.fcntl(stdin.fileno(), F_GETPIPE_SZ) == PIPE_BYTES
    big = [_tenant(n) | {"display_name": "x" * 200_000} for n in range(501, 506)]
    await bulk.insert_all(db, [(tenants, big)])
    assert await _count(db) == 6
