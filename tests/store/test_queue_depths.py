"""store/queue_depths.py: the counts /metrics reads at each scrape stop at their cap and read the
outbox through its (state, created_at) index, on an outbox of thousands of delivered entries."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from graphpost.store import outbox as outbox_rows
from graphpost.store import queue_depths
from graphpost.store.database import Database
from graphpost.store.schema import outbox, submissions, users
from tests.api.test_query_plans import pg_nodes, statement_sql

DELIVERED, QUEUED, CAP = 3000, 7, 100


async def fill_outbox(db: Database) -> None:
    now = datetime.now(timezone.utc)
    async with db.write() as conn:
        user_id = (await conn.execute(sa.select(users.c.id).limit(1))).scalar_one()
        await conn.execute(sa.insert(submissions), [{"id": "s1", "user_id": user_id, "internet_message_id": "<m@x>",
                                                     "message": {}, "created_at": now}])
        entries = [{"submission_id": "s1", "recipient": f"r{n}@example.org", "domain": "example.org",
                    "state": outbox_rows.DELIVERED if n < DELIVERED else outbox_rows.QUEUED,
                    "created_at": now, "updated_at": now} for n in range(DELIVERED + QUEUED)]
        await conn.execute(sa.insert(outbox), entries)
        if db.dialect == "postgresql":
            await conn.execute(sa.text("ANALYZE outbox"))


async def test_counts_stop_at_their_cap(db: Database) -> None:
    await fill_outbox(db)
    async with db.read() as conn:
        assert await queue_depths.outbox_depths(conn, CAP) == {
            "queued": QUEUED, "deferred": 0, "captured": 0, "failed": 0, "delivered": CAP}
        assert await queue_depths.outbox_depths(conn) == {
            "queued": QUEUED, "deferred": 0, "captured": 0, "failed": 0, "delivered": DELIVERED}
        assert await queue_depths.notification_backlog(conn, CAP) == 0


async def test_the_outbox_is_counted_through_its_state_index(db: Database) -> None:
    await fill_outbox(db)
    async with db.read() as conn:
        sql = statement_sql(conn, queue_depths.outbox_depths_query(CAP))
        if conn.dialect.name == "sqlite":
            rows: list[Any] = list((await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")).all())
            plan: list[Any] = [row[3] for row in rows]
            assert any("outbox USING COVERING INDEX ix_outbox_state_" in detail for detail in plan), plan
            assert not any(detail.startswith("SCAN outbox") for detail in plan), plan
            return
        raw = (await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar_one()
        plan = list(pg_nodes((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]))
        scans = [node for node in plan if node.get("Relation Name") == "outbox"]
        assert len(scans) == len(queue_depths.OUTBOX_STATES), plan
        # The rare states through the index; for the common one the planner may read the table, as
        # far as the cap. Either way each count reads at most the cap: never the thousands of rows.
        assert sum(node["Node Type"] == "Index Only Scan" for node in scans) >= len(scans) - 1, scans
        assert sum(node["Actual Rows"] + node.get("Rows Removed by Filter", 0)
                   for node in scans) <= len(scans) * CAP, scans
