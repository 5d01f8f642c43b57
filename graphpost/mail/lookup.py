"""Finding a message of a mailbox, with Graph's answers when it is not there."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.errors import InvalidIdMalformed, ItemNotFound
from graphpost.mail import ids
from graphpost.mail.types import MailboxOwner
from graphpost.store import mailbox as store
from graphpost.store.mailbox import MessageRow


def now() -> datetime:
    return datetime.now(timezone.utc)


async def existing(conn: AsyncConnection, owner: MailboxOwner, message_id: str, *,
                   for_update: bool = False) -> MessageRow:
    """The message `message_id` of this mailbox; Graph's 400 for a malformed id, 404 if absent
    (also when it belongs to another mailbox: ids never leak across mailboxes)."""
    if not ids.is_well_formed(message_id):
        raise InvalidIdMalformed()
    row = await store.message(conn, owner.id, message_id, for_update=for_update,
                              immutable=ids.is_immutable(message_id))
    if row is None:
        raise ItemNotFound()
    return row
