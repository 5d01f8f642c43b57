"""The change log (mailbox_changes) as the triggers of migration 0012 write it: every write path
records its changes in order, in its own transaction, on both backends."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from graphpost.directory import service as directory
from graphpost.store.database import Database
from graphpost.store.schema import mailbox_changes, messages, users
from tests.api.mail_helpers import ALICE, BOB, CAROL, Mailbox, recipients

Change = tuple[str, str, str, str]  # kind, item id, folder id, change type


async def _user_id(db: Database, upn: str) -> str:
    async with db.read() as conn:
        return (await conn.execute(sa.select(users.c.id).where(users.c.upn_key == upn))).scalar_one()


async def _last_seq(db: Database) -> int:
    async with db.read() as conn:
        return (await conn.execute(sa.select(sa.func.coalesce(sa.func.max(mailbox_changes.c.seq), 0)))).scalar_one()


async def _changes(db: Database, upn: str, after: int) -> list[Change]:
    user_id = await _user_id(db, upn)
    async with db.read() as conn:
        rows = await conn.execute(
            sa.select(mailbox_changes.c.kind, mailbox_changes.c.item_id, mailbox_changes.c.folder_id,
                      mailbox_changes.c.change_type)
            .where(mailbox_changes.c.user_id == user_id, mailbox_changes.c.seq > after)
            .order_by(mailbox_changes.c.seq))
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_send_mail_records_the_sent_copy_and_each_local_delivery(db: Database, alice: Mailbox,
                                                                       bob: Mailbox) -> None:
    start = await _last_seq(db)
    response = await alice.send_mail({"subject": "Hi", "toRecipients": recipients(BOB)})
    assert response.status_code == 202, response.text
    [sent] = await alice.messages_in("sentitems")
    [received] = await bob.messages_in("inbox")
    assert await _changes(db, ALICE, start) == [("message", sent["id"], sent["parentFolderId"], "created")]
    assert await _changes(db, BOB, start) == [("message", received["id"], received["parentFolderId"], "created")]


async def test_patch_records_an_update_under_the_same_id(db: Database, alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Plan")
    start = await _last_seq(db)
    response = await alice.patch(f"messages/{draft['id']}", json={"isRead": True, "categories": ["Red"]})
    assert response.status_code == 200, response.text
    assert await _changes(db, ALICE, start) == [("message", draft["id"], draft["parentFolderId"], "updated")]


async def test_move_records_a_deletion_in_the_old_folder_then_a_creation_in_the_new(db: Database,
                                                                                   alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Plan")
    start = await _last_seq(db)
    response = await alice.post(f"messages/{draft['id']}/move", json={"destinationId": "archive"})
    assert response.status_code == 201, response.text
    moved = response.json()
    assert await _changes(db, ALICE, start) == [
        ("message", draft["id"], draft["parentFolderId"], "deleted"),
        ("message", moved["id"], moved["parentFolderId"], "created"),
    ]
    # Both under the immutable id the message keeps.
    async with db.read() as conn:
        recorded = (await conn.execute(sa.select(mailbox_changes.c.immutable_id)
                                       .where(mailbox_changes.c.seq > start))).scalars().all()
        kept = (await conn.execute(sa.select(messages.c.immutable_id)
                                   .where(messages.c.id == moved["id"]))).scalar_one()
    assert recorded == [kept, kept]


async def test_delete_records_the_message_leaving_its_folder(db: Database, alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Plan")
    start = await _last_seq(db)
    assert (await alice.delete(f"messages/{draft['id']}")).status_code == 204
    changes = await _changes(db, ALICE, start)
    # DELETE moves the message into Recoverable Items under a new id (store/mailbox.py).
    assert changes[0] == ("message", draft["id"], draft["parentFolderId"], "deleted")
    assert [change[3] for change in changes] == ["deleted", "created"]
    assert changes[1][1] != draft["id"] and changes[1][2] != draft["parentFolderId"]


async def test_folder_create_rename_and_delete_with_its_messages(db: Database, alice: Mailbox) -> None:
    start = await _last_seq(db)
    response = await alice.post("mailFolders", json={"displayName": "Projects"})
    assert response.status_code == 201, response.text
    folder = response.json()
    root = folder["parentFolderId"]
    response = await alice.patch(f"mailFolders/{folder['id']}", json={"displayName": "Old projects"})
    assert response.status_code == 200, response.text
    draft = await alice.create_draft(subject="Plan")
    moved = (await alice.post(f"messages/{draft['id']}/move", json={"destinationId": folder["id"]})).json()
    async with db.write() as conn:
        # A hard delete: its message goes by ON DELETE CASCADE, and is recorded all the same.
        await conn.execute(sa.text("DELETE FROM folders WHERE id = :id"), {"id": folder["id"]})
    changes = await _changes(db, ALICE, start)
    assert changes[:5] == [
        ("folder", folder["id"], root, "created"),
        ("folder", folder["id"], root, "updated"),
        ("message", draft["id"], draft["parentFolderId"], "created"),
        ("message", draft["id"], draft["parentFolderId"], "deleted"),
        ("message", moved["id"], folder["id"], "created"),
    ]
    # PostgreSQL runs the cascade's trigger after the folder's own: the order of these two is free.
    assert sorted(changes[5:]) == [("folder", folder["id"], root, "deleted"),
                                   ("message", moved["id"], folder["id"], "deleted")]


async def test_deleting_a_folder_through_the_api_records_it_leaving_its_parent(db: Database, alice: Mailbox) -> None:
    folder = (await alice.post("mailFolders", json={"displayName": "Projects"})).json()
    start = await _last_seq(db)
    assert (await alice.delete(f"mailFolders/{folder['id']}")).status_code == 204
    changes = await _changes(db, ALICE, start)
    assert ("folder", folder["id"], folder["parentFolderId"], "deleted") in changes
    assert all(kind == "folder" for kind, *_ in changes)


async def test_removing_a_user_removes_its_log_and_writes_nothing_for_it(db: Database, carol: Mailbox,
                                                                         alice: Mailbox) -> None:
    await carol.create_draft(subject="Mine")
    carol_id = await _user_id(db, CAROL)
    alice_before = await _changes(db, ALICE, 0)
    await directory.remove_user(db, CAROL)
    async with db.read() as conn:
        left = (await conn.execute(sa.select(sa.func.count()).select_from(mailbox_changes)
                                   .where(mailbox_changes.c.user_id == carol_id))).scalar_one()
    assert left == 0
    assert await _changes(db, ALICE, 0) == alice_before


async def test_changes_roll_back_with_their_transaction(db: Database, alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Plan")
    start = await _last_seq(db)
    with pytest.raises(RuntimeError):
        async with db.write() as conn:
            await conn.execute(messages.update().where(messages.c.id == draft["id"]).values(is_read=True))
            await conn.execute(messages.delete().where(messages.c.id == draft["id"]))
            raise RuntimeError("abandoned")
    assert await _changes(db, ALICE, start) == []
    assert await _last_seq(db) == start


async def test_seqs_increase_and_record_their_time_and_transaction(db: Database, alice: Mailbox,
                                                                   backend: str) -> None:
    before = datetime.now(timezone.utc)
    start = await _last_seq(db)
    first = await alice.create_draft(subject="One")
    await alice.patch(f"messages/{first['id']}", json={"isRead": True})
    async with db.read() as conn:
        rows = (await conn.execute(sa.select(mailbox_changes).where(mailbox_changes.c.seq > start)
                                   .order_by(mailbox_changes.c.seq))).all()
    assert [row.change_type for row in rows] == ["created", "updated"]
    assert rows[0].seq < rows[1].seq
    assert all(before <= row.changed_at <= datetime.now(timezone.utc) for row in rows)
    if backend == "postgresql":
        # Two requests, two transactions.
        assert rows[0].txid is not None and rows[1].txid is not None and rows[0].txid < rows[1].txid
    else:
        assert [row.txid for row in rows] == [None, None]


# PostgreSQL's sequences never go back by construction.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sqlite_never_hands_out_a_pruned_seq_again(db: Database, alice: Mailbox, backend: str) -> None:
    first = await alice.create_draft(subject="One")
    top = await _last_seq(db)
    async with db.write() as conn:
        await conn.execute(mailbox_changes.delete())
    await alice.patch(f"messages/{first['id']}", json={"isRead": True})
    assert await _last_seq(db) == top + 1
