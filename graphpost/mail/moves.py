"""Moving and copying a message to another folder of its mailbox (`…/move`, `…/copy`)."""

from __future__ import annotations

import copy as copying

from graphpost.mail import ids, mapping
from graphpost.mail.lookup import existing, now
from graphpost.mail.mailbox import find_folder
from graphpost.mail.types import MailboxOwner, Message
from graphpost.store import attachments as attachment_store
from graphpost.store import mailbox as store
from graphpost.store.database import Database


async def move(db: Database, owner: MailboxOwner, message_id: str, destination: str) -> Message:
    """The message in `destination` (a folder id or well-known name). As in Exchange, its id
    changes with the move, while its immutable id stays; its attachments follow the new id."""
    async with db.write() as conn:
        row = await existing(conn, owner, message_id, for_update=True)
        folder = await find_folder(conn, owner.id, destination, counted=False)
        old_id = row.id
        row.folder_id = folder.id
        row.id = ids.new_message_id()
        row.change_key = ids.new_change_key()
        row.modified_at = now()
        await store.replace_message(conn, old_id, row)
    return mapping.message(row)


async def copy(db: Database, owner: MailboxOwner, message_id: str, destination: str) -> Message:
    """A new message in `destination`, with ids of its own and the same content and attachments
    (the attachment rows are new, their content is shared)."""
    async with db.write() as conn:
        original = await existing(conn, owner, message_id)
        folder = await find_folder(conn, owner.id, destination, counted=False)
        at = now()
        row = copying.deepcopy(original)
        row.id, row.immutable_id = ids.new_message_id(), ids.new_immutable_id()
        row.folder_id = folder.id
        row.change_key = ids.new_change_key()
        row.created_at = row.modified_at = at
        await store.insert_messages(conn, [row])
        files = await attachment_store.attachments_of(conn, original.id)
        await attachment_store.insert_attachments(
            conn, attachment_store.copies_for(files, row.id, [ids.new_attachment_id() for _ in files]))
    return mapping.message(row)
