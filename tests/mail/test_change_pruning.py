"""Pruning the change log: what is older than the retention (and its margin) goes, by the
delivery role's task, on both backends; what is newer stays, and seqs go on increasing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from graphpost.config import Settings
from graphpost.mail.change_pruning import MARGIN, ChangeLogPruner
from graphpost.server import plan
from graphpost.store.database import Database
from graphpost.store.schema import mailbox_changes
from tests.api.mail_helpers import Mailbox


async def _seqs(db: Database) -> list[int]:
    async with db.read() as conn:
        return list((await conn.execute(sa.select(mailbox_changes.c.seq).order_by(mailbox_changes.c.seq))).scalars())


async def test_changes_past_the_retention_go_and_newer_ones_stay(db: Database, alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Plan")
    before = await _seqs(db)
    assert before
    pruner = ChangeLogPruner(db, timedelta(days=7))
    # Now: nothing is that old.
    assert await pruner.prune_once() == 0
    assert await _seqs(db) == before
    # A week and the margin later, all of it.
    later = datetime.now(timezone.utc) + timedelta(days=7) + MARGIN + timedelta(minutes=1)
    assert await pruner.prune_once(later) == len(before)
    assert await _seqs(db) == []
    assert (await alice.patch(f"messages/{draft['id']}", json={"isRead": True})).status_code == 200
    [after] = await _seqs(db)
    assert after > before[-1]


async def test_the_delivery_role_prunes_at_start(settings: Settings, db: Database, alice: Mailbox) -> None:
    old = datetime.now(timezone.utc) - settings.change_retention - MARGIN - timedelta(hours=1)
    async with db.write() as conn:
        # The changes of the mailboxes' creation, made old; the log is pruned in seq order.
        await conn.execute(mailbox_changes.update().values(changed_at=old))
    await alice.create_draft(subject="Plan")
    kept = (await _seqs(db))[-1:]
    found = plan(settings, db, {"delivery"})
    [pruner] = [task for task in found.background if isinstance(getattr(task, "__self__", None), ChangeLogPruner)]
    assert not plan(settings, db, {"api"}).background
    stopping = asyncio.Event()
    stopping.set()
    # It prunes once, then sees it must stop.
    await asyncio.wait_for(pruner(stopping), timeout=30)
    assert await _seqs(db) == kept
