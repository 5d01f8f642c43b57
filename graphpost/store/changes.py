"""Reading the change log (mailbox_changes, written by the triggers of migration 0012) for delta
queries, and pruning it.

A delta round ends at a *watermark*: the highest seq it has read (`seq`) and, on PostgreSQL, which
transactions could still commit changes it has not seen. Sequences are handed out when a row is
written, not when it commits, so a transaction open at the reader's snapshot may yet commit a seq
lower than `seq` (and an old transaction may commit a seq above an open newer one's: "every seq
below this one is from a transaction older than the xmin" cannot be known from the rows a reader
sees). The watermark therefore keeps the snapshot's in-flight transaction ids (`in_flight`, from
pg_snapshot_xip): the next round reads what lies above `seq`, and what lies at or below it from
those transactions (a few rows, through the (user_id, txid) index). Nothing else can lie below:
every other transaction had ended, or got its id after the snapshot (at or past its xmax) and so
its seqs after `seq` (the triggers take a seq after the row's write has given the transaction its
id). On a cluster with very many open transactions the token would grow: past _MAX_IN_FLIGHT the
watermark keeps the snapshot's xmin as `horizon` instead, and the next round reads everything at
or below `seq` from transactions at or past it (more rows, and items answered again with their
current state: harmless). SQLite's writers take turns, so a seq there is visible once every
lower one is: nothing is in flight."""

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
    in_flight: tuple[int, ...] = ()          # PostgreSQL: transactions open at the snapshot
    horizon: int | None = None               # PostgreSQL, too many of those: its xmin instead


@dataclass(frozen=True)
class Change:
    seq: int
    item_id: str
    immutable_id: str | None  # a message's; None for a folder
    change_type: str  # created, updated or deleted


_PG_WATERMARK = sa.text(
    "SELECT (SELECT coalesce(max(seq), 0) FROM mailbox_changes), pg_snapshot_xmin(s)::text::bigint, "
    f"ARRAY(SELECT x::text::bigint FROM pg_snapshot_xip(s) AS x LIMIT {_MAX_IN_FLIGHT + 1}) "
    "FROM pg_current_snapshot() AS s")


async def watermark(conn: AsyncConnection) -> Watermark:
    """Where the log stands now. On PostgreSQL both values come from one statement, so from one
    snapshot; every later statement sees at least what it saw."""
    if conn.dialect.name == "postgresql":
        seq, xmin, in_flight = (await conn.execute(_PG_WATERMARK)).one()
        if len(in_flight) > _MAX_IN_FLIGHT:
            return Watermark(int(seq), horizon=int(xmin))
        return Watermark(int(seq), tuple(sorted(int(xid) for xid in in_flight)))
    top = (await conn.execute(sa.select(sa.func.coalesce(sa.func.max(mailbox_changes.c.seq), 0)))).scalar_one()
    return Watermark(int(top))


def _scope(user_id: str, kind: str, folder_id: str | None) -> list[sa.ColumnElement[bool]]:
    """A folder's messages, a folder's child folders, or (folder_id None) every folder."""
    if folder_id is None:
        return [mailbox_changes.c.user_id == user_id, mailbox_changes.c.kind == kind]
    if kind == MESSAGE:
        # Not `kind = 'message'`: SQLite would then take the (user_id, kind, seq) index and read the
        # changes of every folder. The folder's own child folders' changes, a few, are dropped
        # after the read (changes_since).
        return [mailbox_changes.c.user_id == user_id, mailbox_changes.c.folder_id == folder_id]
    return [mailbox_changes.c.user_id == user_id, mailbox_changes.c.folder_id == folder_id,
            mailbox_changes.c.kind == kind]


def changes_statement(user_id: str, kind: str, folder_id: str | None, since: Watermark,
                      until: int | None) -> sa.Select[Any]:
    """The changes after `since` (see the module's docstring), up to seq `until` when given."""
    columns = (mailbox_changes.c.seq, mailbox_changes.c.kind, mailbox_changes.c.item_id,
               mailbox_changes.c.immutable_id, mailbox_changes.c.change_type)
    scope = _scope(user_id, kind, folder_id)
    newer = [mailbox_changes.c.seq > since.seq]
    if until is not None:
        newer.append(mailbox_changes.c.seq <= until)
    statement = sa.select(*columns).where(*scope, *newer)
    unseen: list[sa.ColumnElement[bool]] = []
    if since.in_flight:
        unseen.append(mailbox_changes.c.txid.in_(since.in_flight))
    if since.horizon is not None:
        unseen.append(mailbox_changes.c.txid >= since.horizon)
    if not unseen:
        return statement.order_by(mailbox_changes.c.seq)
    in_flight = sa.select(*columns).where(*scope, sa.or_(*unseen), mailbox_changes.c.seq <= since.seq)
    both = sa.union_all(statement, in_flight).subquery("changes")
    return sa.select(both).order_by(both.c.seq)


async def changes_since(conn: AsyncConnection, user_id: str, kind: str, folder_id: str | None,
                        since: Watermark, until: int | None = None) -> list[Change]:
    rows = await conn.execute(changes_statement(user_id, kind, folder_id, since, until))
    return [Change(int(row.seq), row.item_id, row.immutable_id, row.change_type) for row in rows if row.kind == kind]


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
