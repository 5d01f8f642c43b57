"""Reading the change log (store/changes.py): watermarks, the changes after one, and on PostgreSQL
the transactions a watermark saw in flight, whose changes the next read takes even below its seq."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from graphpost.store import changes as log
from graphpost.store.database import Database
from graphpost.store.schema import mailbox_changes, users
from tests.api.mail_helpers import ALICE, Mailbox


async def _alice(db: Database) -> str:
    async with db.read() as conn:
        return (await conn.execute(sa.select(users.c.id).where(users.c.upn_key == ALICE))).scalar_one()


async def test_changes_after_a_watermark_come_in_seq_order_for_their_folder_and_kind(db: Database, alice: Mailbox,
                                                                                     backend: str) -> None:
    user_id = await _alice(db)
    async with db.read() as conn:
        since = await log.watermark(conn)
    inbox = (await alice.folder("inbox"))["id"]
    first = await alice.create_draft(subject="One")
    moved = (await alice.post(f"messages/{first['id']}/move", json={"destinationId": "inbox"})).json()
    child = (await alice.post("mailFolders/inbox/childFolders", json={"displayName": "Sub"})).json()
    async with db.read() as conn:
        in_inbox = await log.changes_since(conn, user_id, log.MESSAGE, inbox, since)
        folders_under_inbox = await log.changes_since(conn, user_id, log.FOLDER, inbox, since)
        every_folder = await log.changes_since(conn, user_id, log.FOLDER, None, since)
        upto = await log.changes_since(conn, user_id, log.MESSAGE, inbox, since, in_inbox[0].seq - 1)
    # The child folder's change is filed under the Inbox too, but is no message.
    assert [(change.item_id, change.change_type) for change in in_inbox] == [(moved["id"], "created")]
    assert [(change.item_id, change.change_type) for change in folders_under_inbox] == [(child["id"], "created")]
    assert [change.item_id for change in every_folder] == [child["id"]]
    assert upto == []
    assert since.horizon is None
    if backend == "sqlite":
        assert since.in_flight == ()


# SQLite's writers take turns: nothing is ever in flight there.
@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_watermark_keeps_open_transactions_and_the_next_read_takes_their_changes(
        db: Database, alice: Mailbox, backend: str) -> None:
    user_id = await _alice(db)
    inbox = (await alice.folder("inbox"))["id"]
    async with db.writer.connect() as slow:
        transaction = await slow.begin()
        # As the triggers write it: the transaction's id, then a seq.
        xid = (await slow.execute(sa.text("SELECT pg_current_xact_id()::text::bigint"))).scalar_one()
        await slow.execute(sa.insert(mailbox_changes).values(
            user_id=user_id, kind="message", item_id="AAMkSLOW", folder_id=inbox, change_type="created",
            txid=xid, changed_at=datetime.now(timezone.utc)))
        # A later seq commits meanwhile.
        await alice.post("mailFolders/inbox/messages", json={"subject": "Quick"})
        async with db.read() as conn:
            mark = await log.watermark(conn)
            seen = await log.changes_since(conn, user_id, log.MESSAGE, inbox, log.Watermark(0))
        assert xid in mark.in_flight and mark.horizon is None
        assert "AAMkSLOW" not in [change.item_id for change in seen] and len(seen) == 1
        await transaction.commit()
    async with db.read() as conn:
        after = [change.item_id for change in await log.changes_since(conn, user_id, log.MESSAGE, inbox, mark)]
        # With too many open transactions a watermark keeps the xmin instead: the same change comes.
        fallback = log.Watermark(mark.seq, horizon=min(mark.in_flight))
        by_horizon = [change.item_id for change in await log.changes_since(conn, user_id, log.MESSAGE, inbox,
                                                                             fallback)]
        # And a watermark that saw nothing in flight reads nothing at or below its seq.
        settled = [change.item_id for change in await log.changes_since(conn, user_id, log.MESSAGE, inbox,
                                                                          log.Watermark(mark.seq))]
    assert after == ["AAMkSLOW"] and settled == []
    # The fallback reads the later change again too (it is from a newer transaction): harmless.
    assert by_horizon == ["AAMkSLOW", seen[0].item_id]
