"""Pruning the change log (store/changes.py): a task of the delivery role that deletes, at start
and then every `interval`, the changes older than the retention (Settings.change_retention) plus
a margin. A delta token is refused once older than the retention (mail/delta.py check_state), so
the changes any accepted token still needs are kept: those written after its round began, and
those of transactions still open then, which the margin covers (transactions last seconds)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone

from graphpost.store import changes
from graphpost.store.database import Database

log = logging.getLogger("graphpost.changes")

MARGIN = timedelta(hours=1)
INTERVAL = timedelta(hours=1)


class ChangeLogPruner:
    def __init__(self, db: Database, retention: timedelta, interval: timedelta = INTERVAL) -> None:
        self.db = db
        self.retention = retention
        self.interval = interval

    async def prune_once(self, now: datetime | None = None) -> int:
        """Delete what is past the retention and the margin; how many changes went."""
        before = (now or datetime.now(timezone.utc)) - self.retention - MARGIN
        async with self.db.write() as conn:
            return await changes.prune(conn, before)

    async def run(self, stopping: asyncio.Event) -> None:
        """Prune now, then every interval, until `stopping` is set."""
        while True:
            try:
                pruned = await self.prune_once()
                if pruned:
                    log.info("pruned %d changes older than %s from the change log", pruned, self.retention)
            except Exception:
                log.exception("pruning the change log failed; trying again later")
            try:
                await asyncio.wait_for(stopping.wait(), self.interval.total_seconds())
                return
            except asyncio.TimeoutError:
                pass
