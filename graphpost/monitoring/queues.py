"""The queue gauges of /metrics, read from the database at each scrape.

Depths are the database's, not a process's: every process sharing it answers the same numbers, so
a dashboard takes them from any one target (`max` across targets, not `sum`)."""

from __future__ import annotations

from dataclasses import dataclass

from graphpost.store import queue_depths
from graphpost.store.database import Database


@dataclass(frozen=True)
class QueueDepths:
    outbox: dict[str, int]       # entries per state (queued, deferred, captured, failed, delivered)
    notifications: int           # notifications waiting to be POSTed
    cap: int                     # no count goes past it


async def read(db: Database, cap: int = queue_depths.DEFAULT_CAP) -> QueueDepths:
    async with db.read() as conn:
        return QueueDepths(await queue_depths.outbox_depths(conn, cap),
                           await queue_depths.notification_backlog(conn, cap), cap)
