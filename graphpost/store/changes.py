"""Reading the change log (mailbox_changes, written by the triggers of migration 0012) for delta
queries, and pruning it.

A delta round ends at a *watermark*: the highest seq it has read (`seq`) and, on PostgreSQL, which
transactions could still commit changes it has not seen. Sequences are handed out when a row is
written, not when it commits, so a transaction open at the reader's snapshot may yet commit a seq
lower than `seq` (and an old transaction may commit a seq above an open newer one's: "every seq
below this one is from a transaction older than the xmin" cannot be known from the rows a reader
sees). The watermark therefore keeps the snapshot's in-flight transaction ids (`in_flight`, from
pg_snapshot_xip) and `horizon`, its xmax: every transaction below the horizon and not in flight had
ended, its changes seen. The next round reads what lies above `seq`, and what lies at or below it
from those transactions (a few rows, through the (user_id, txid) index). On a cluster with very
many open transactions the token would grow: past _MAX_IN_FLIGHT the horizon is the snapshot's
xmin and the in-flight list empty, which re-reads more (and answers those items again, with their
current state: harmless). SQLite's writers take turns, so a seq there is visible once every lower
one is: horizon is None."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store.schema import mailbox_changes

MESSAGE, FOLDER = "message", "folder"


# Past this many open transactions, a watermark keeps the xmin alone (see above).
_MAX_IN_FLIGHT = 64


@dataclass(frozen=True)
class Watermark:
    seq: int
    horizon: int | None = None               # PostgreSQL: transactions from here on were not seen
    in_flight: tuple[int, ...] = ()          # PostgreSQL: nor were these, open at the snapshot


@dataclass(frozen=True)
class Change:
    seq: int
    item_id: str
    change_type: str  # created, updated or deleted


_PG_WATERMARK = sa.text(
    "SELECT (SELECT coalesce(max(seq), 0) FROM mailbox_changes), pg_snapshot_xmin(s)::text::bigint, "
    "pg_snapshot_xmax(s)::text::bigint, "
    f"ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x LIMIT {_MAX_IN_FLIGHT + 1}) "
    "FROM pg_current_snapshot() AS s")


async def watermark(conn: AsyncConnection) -> Watermark:
    """Where the log stands now. On PostgreSQL both values come from one statement, so from one
    snapshot; every later statement sees at least what it saw."""
    if conn.dialect.name == "postgresql":
        seq, xmin, xmax, in_flight = (await conn.execute(_PG_WATERMARK)).one()
        if len(in_flight) > _MAX_IN_FLIGHT:
            return Watermark(int(seq), int(xmin))
        return Watermark(int(seq), int(xmax), tuple(sorted(int(xid) for xid in in_flight)))
    top = (await conn.execute(sa.select(sa.func.coalesce(sa.func.max(mailbox_changes.c.seq), 0)))).scalar_one()
    return Watermark(int(top))


def _scope(user_id: str, kind: str, folder_id: str | None) -> list[sa.ColumnElement[bool]]:
    """A folder's messages, a folder's child folders, or (folder_id None) every folder."""
    where = [mailbox_changes.c.user_id == user_id, mailbox_changes.c.kind == kind]
    if folder_id is not None:
        where.append(mailbox_changes.c.folder_id == folder_id)
    return where


def changes_statement(user_id: str, kind: str, folder_id: str | None, since: Watermark,
                      until: int | None) -> sa.Select[Any]:
    """The changes after `since` (see the module's docstring), up to seq `until` when given."""
    columns = (mailbox_changes.c.seq, mailbox_changes.c.item_id, mailbox_changes.c.change_type)
    scope = _scope(user_id, kind, folder_id)
    newer = [mailbox_changes.c.seq > since.seq]
    if until is not None:
        newer.append(mailbox_changes.c.seq <= until)
    statement = sa.select(*columns).where(*scope, *newer)
    if since.horizon is None:
        return statement.order_by(mailbox_changes.c.seq)
    unseen = mailbox_changes.c.txid >= since.horizon
    if since.in_flight:
        unseen |= mailbox_changes.c.txid.in_(since.in_flight)
    in_flight = sa.select(*columns).where(*scope, unseen, mailbox_changes.c.seq <= since.seq)
    both = sa.union_all(statement, in_flight).subquery("changes")
    return sa.select(both).order_by(both.c.seq)


async def changes_since(conn: AsyncConnection, user_id: str, kind: str, folder_id: str | None,
                        since: Watermark, until: int | None = None) -> list[Change]:
    rows = await conn.execute(changes_statement(user_id, kind, folder_id, since, until))
    return [Change(int(row.seq), row.item_id, row.change_type) for row in rows]


async def prune(conn: AsyncConnection, before: datetime) -> int:
    """Delete the changes made before `before`; how many went. The oldest rows are found through
    the primary key, in seq order, so that this reads what it deletes and not the whole log."""
    first_kept = (sa.select(mailbox_changes.c.seq).where(mailbox_changes.c.changed_at >= before)
                  .order_by(mailbox_changes.c.seq).limit(1).scalar_subquery())
    top = sa.select(sa.func.max(mailbox_changes.c.seq)).scalar_subquery()
    # Nothing recent: everything up to the newest row goes.
    limit = sa.func.coalesce(first_kept, top + 1)
    result = await conn.execute(mailbox_changes.delete().where(mailbox_changes.c.seq < limit))
    return int(result.rowcount or 0)
