"""What a delta round costs on a folder of 100,000 messages with 10 changes since its last round:
the change log read through its (user_id, folder_id, seq) index, about 10 rows, and the changed
messages by their primary key, on SQLite (EXPLAIN QUERY PLAN) and PostgreSQL (EXPLAIN ANALYZE);
and, on PostgreSQL, a round that never moves past a change an open transaction may still commit."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.api.delta_tokens import DeltaToken, encode
from graphpost.auth import keys
from graphpost.config import Settings
from graphpost.mail.delta import DeltaState
from graphpost.mail.messages import new_draft
from graphpost.store import changes as log
from graphpost.store import directory as directory_rows
from graphpost.store import mailbox as store
from graphpost.store.database import Database
from graphpost.store.schema import mailbox_changes
from tests.api.mail_helpers import ALICE, Mailbox
from tests.api.test_delta import deliver, follow
from tests.api.test_query_plans import MAILBOX_SIZE, fill, pg_nodes, statement_sql

CHANGED = 10


async def _plan(conn: AsyncConnection, statement: Any) -> Any:
    sql = statement_sql(conn, statement)
    if conn.dialect.name == "sqlite":
        return [row[3] for row in (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")).all()]
    raw = (await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar_one()
    return list(pg_nodes((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]))


def _assert_reads_by_index(plan: Any, dialect: str, table: str, index: str, most_rows: int) -> None:
    if dialect == "sqlite":
        assert any(f"{table} USING INDEX {index} " in detail or f"{table} USING COVERING INDEX {index} " in detail
                   or f"{table} USING INTEGER PRIMARY KEY" in detail for detail in plan), plan
        assert not any(detail.startswith(f"SCAN {table}") for detail in plan), plan
        return
    scans = [node for node in plan if node.get("Relation Name") == table]
    assert scans and all(node["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Heap Scan")
                         for node in scans), plan
    assert sum(node["Actual Rows"] + node.get("Rows Removed by Filter", 0) for node in scans) <= most_rows, scans


async def test_a_round_after_ten_changes_in_a_large_folder_reads_ten_rows(db: Database, alice: Mailbox,
                                                                          settings: Settings) -> None:
    user_id, inbox_id = await fill(db, MAILBOX_SIZE, lambda n: False)
    async with db.write() as conn:
        if db.dialect == "postgresql":
            await conn.execute(sa.text("ANALYZE mailbox_changes"))
        since = await log.watermark(conn)
    for n in range(CHANGED):
        response = await alice.patch(f"messages/AAMkBULK{n * 997:08d}", json={"isRead": True})
        assert response.status_code == 200, response.text
    async with db.read() as conn:
        until = await log.watermark(conn)
        statement = log.changes_statement(user_id, log.MESSAGE, inbox_id, since, until.seq)
        found = await log.changes_since(conn, user_id, log.MESSAGE, inbox_id, since, until.seq)
        assert [change.item_id for change in found] == [f"AAMkBULK{n * 997:08d}" for n in range(CHANGED)]
        _assert_reads_by_index(await _plan(conn, statement), db.dialect, "mailbox_changes",
                               "ix_mailbox_changes_user_id_folder_id_seq", CHANGED + 1)
        lookup = store.messages_by_id_statement([change.item_id for change in found])
        _assert_reads_by_index(await _plan(conn, lookup), db.dialect, "messages", "sqlite_autoindex_messages_1",
                               CHANGED)
    # Through the API, a round from that watermark answers exactly those, read.
    state = DeltaState(user_id, f"messages:{inbox_id}", since, None, None, time.time())
    token = encode(DeltaToken(state, {}), keys.load_or_create(settings.data_dir))
    items, _, _ = await follow(alice, f"mailFolders/inbox/messages/delta?$deltatoken={token}")
    assert sorted(item["id"] for item in items) == sorted(change.item_id for change in found)
    assert all(item["isRead"] is True for item in items)


# SQLite's writers take turns: no transaction is open while another commits.
@pytest.mark.parametrize("backend", ["postgresql"])
async def test_an_open_transaction_s_change_comes_in_the_round_after_it_commits(
        db: Database, alice: Mailbox, bob: Mailbox, backend: str) -> None:
    _, link, _ = await follow(alice, "mailFolders/inbox/messages/delta")
    async with db.read() as conn:
        owner = await directory_rows.user_by_upn(conn, ALICE)
        assert owner is not None
        inbox_id = await store.folder_id_of(conn, owner.id, "inbox")
    slow_row = new_draft(owner, inbox_id, {"subject": "Slow"}, datetime.now(timezone.utc))
    async with db.writer.connect() as slow:
        transaction = await slow.begin()
        await store.insert_messages(slow, [slow_row])
        slow_seq = (await slow.execute(sa.select(sa.func.max(mailbox_changes.c.seq)))).scalar_one()
        # A later seq commits while the slow one is still open.
        await deliver(bob, "Quick")
        quick, link, _ = await follow(alice, link)
        assert [item["subject"] for item in quick] == ["Quick"]
        async with db.read() as conn:
            newest = (await conn.execute(sa.select(sa.func.max(mailbox_changes.c.seq)))).scalar_one()
        assert newest > slow_seq
        await transaction.commit()
    slow, _, _ = await follow(alice, link)
    assert [item["subject"] for item in slow] == ["Slow"]
