"""Rows written through store/bulk.py in transactions of their own (Database.write_statements):
all or nothing, committed when the call returns, and overlapping calls all land, beside the
ordinary SQLAlchemy transactions that share the writer; or, by the same executor, in the caller's
transaction (bulk.write)."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from graphpost.store import bulk
from graphpost.store.database import Database
from graphpost.store.schema import domains, tenants
from tests.backends import count_in_database_file

AT = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def _tenant(n: int) -> dict[str, object]:
    return {"id": f"{n:036d}", "display_name": f"Tenant {n}", "created_at": AT}


async def _tenant_ids(db: Database) -> set[str]:
    async with db.read() as conn:
        return set((await conn.execute(sa.select(tenants.c.id))).scalars())


async def test_rows_of_several_tables_are_committed_together(db: Database) -> None:
    await bulk.insert_all(db, [(tenants, [_tenant(1), _tenant(2)]),
                               (domains, [{"name": "one.test", "tenant_id": f"{1:036d}"}])])
    async with db.read() as conn:
        found = (await conn.execute(sa.select(tenants.c.display_name, tenants.c.created_at)
                                    .where(tenants.c.id == f"{2:036d}"))).one()
        domain = (await conn.execute(sa.select(domains.c.tenant_id).where(domains.c.name == "one.test"))).scalar()
    assert tuple(found) == ("Tenant 2", AT)
    assert domain == f"{1:036d}"


async def test_a_statement_that_fails_leaves_nothing_of_its_transaction(db: Database) -> None:
    before = await _tenant_ids(db)
    # The second statement names a tenant that does not exist: the first one's rows must go too.
    with pytest.raises((sqlite3.IntegrityError, sa.exc.IntegrityError)):
        await bulk.insert_all(db, [(tenants, [_tenant(3)]),
                                   (domains, [{"name": "orphan.test", "tenant_id": f"{99:036d}"}])])
    assert await _tenant_ids(db) == before
    # The writer is usable afterwards, by both kinds of transaction.
    await bulk.insert_all(db, [(tenants, [_tenant(3)])])
    async with db.write() as conn:
        await conn.execute(sa.insert(tenants).values(_tenant(4)))
    assert {f"{3:036d}", f"{4:036d}"} <= await _tenant_ids(db)


async def test_overlapping_writes_all_commit_beside_ordinary_transactions(db: Database) -> None:
    async def ordinary(n: int) -> None:
        async with db.write() as conn:
            await conn.execute(sa.insert(tenants).values(_tenant(n)))
            await asyncio.sleep(0)  # let bulk writes queue up while this transaction is open
            await conn.execute(sa.insert(domains).values(name=f"d{n}.test", tenant_id=f"{n:036d}"))

    bulk_writes = [bulk.insert_all(db, [(tenants, [_tenant(n)])]) for n in range(100, 140)]
    ordinary_writes = [ordinary(n) for n in range(200, 210)]
    await asyncio.gather(*bulk_writes[:20], *ordinary_writes, *bulk_writes[20:])
    ids = await _tenant_ids(db)
    assert {f"{n:036d}" for n in [*range(100, 140), *range(200, 210)]} <= ids


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_writes_of_both_writers_are_checkpointed_by_the_writer_process(db: Database) -> None:
    path = db.writer.url.database
    assert path
    async with db.write() as conn:
        # The aiosqlite writer never checkpoints; the writer process (store/checkpoints.py) does,
        # when idle, for what either wrote.
        assert (await conn.exec_driver_sql("PRAGMA wal_autocheckpoint")).scalar() == 0
        await conn.execute(sa.insert(tenants).values([_tenant(n) for n in range(310, 315)]))
    await bulk.insert_all(db, [(tenants, [_tenant(n) for n in range(300, 310)])])
    deadline = time.monotonic() + 10
    while (found := count_in_database_file(path, "SELECT count(*) FROM tenants WHERE id >= ? AND id < ?",
                                           (f"{300:036d}", f"{315:036d}"))) != 15 and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert found == 15


async def _tenant_names(db: Database) -> dict[str, str]:
    async with db.read() as conn:
        return {row.id: row.display_name for row in await conn.execute(sa.select(tenants.c.id, tenants.c.display_name))}


@pytest.mark.parametrize("own_transaction", [True, False])
async def test_writes_rewrite_rows_by_their_old_id_then_insert(db: Database, own_transaction: bool) -> None:
    await bulk.insert_all(db, [(tenants, [_tenant(600), _tenant(601)])])
    # A row rewritten under a new id, then rows that refer to the new one: updates run first.
    writes = bulk.Writes(
        inserts=[(domains, [{"name": "renamed.test", "tenant_id": f"{700:036d}"}])],
        updates=[(tenants, [{bulk.OLD_ID: f"{600:036d}", **_tenant(700), "display_name": "Renamed"}])])
    if own_transaction:
        await bulk.commit(db, writes)
    else:
        async with db.write() as conn:
            await bulk.write(conn, writes)
    names = await _tenant_names(db)
    assert f"{600:036d}" not in names
    assert names[f"{700:036d}"] == "Renamed"
    assert names[f"{601:036d}"] == "Tenant 601"
    async with db.read() as conn:
        domain = (await conn.execute(sa.select(domains.c.tenant_id).where(domains.c.name == "renamed.test"))).scalar()
    assert domain == f"{700:036d}"


async def test_writes_in_the_callers_transaction_roll_back_with_it(db: Database) -> None:
    before = await _tenant_names(db)
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await bulk.write(conn, bulk.Writes([(tenants, [_tenant(800)])]))
            raise RuntimeError("the caller fails after the writes")
    assert await _tenant_names(db) == before
