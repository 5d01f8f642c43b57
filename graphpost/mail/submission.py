"""Sending: a draft (`POST …/messages/{id}/send`) or a message given whole (`sendMail`).

One transaction stamps the message sent, files it in Sent Items, delivers a copy to the Inbox of
every local recipient, queues the external ones and answers a recipient of an accepted domain that
is no user with a non-delivery report; the caller answers 202 only after it commits. What it
writes is built by mail/deliveries.py, for a draft's send and a sendMail batch alike, and written
by one executor (store/bulk.py): a draft's send inside the transaction that locked the draft,
a sendMail batch (mail/send_batch.py) in a transaction of its own (on SQLite, by the writer
process: store/sqlite_writer.py).
"""

from __future__ import annotations

import copy
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.errors import InvalidOperation, SendAsDenied
from graphpost.mail import deliveries, ids
from graphpost.mail.content import MessageContent
from graphpost.mail.deliveries import Outgoing
from graphpost.mail.known import KnownMailboxes
from graphpost.mail.lookup import existing, now
from graphpost.mail.messages import draft_from
from graphpost.mail.model import recipient_for
from graphpost.mail.recipients import check_submittable
from graphpost.store import attachments as attachment_store
from graphpost.store import bulk
from graphpost.store.database import Database
from graphpost.mail.types import MailboxOwner
from graphpost.store.mailbox import MessageRow


def _stamp_sent(row: MessageRow, owner: MailboxOwner, at: datetime) -> None:
    """Turn a draft into the sent message, in place."""
    sender = recipient_for(owner.display_name, owner.mail)
    given_from = row.data.get("from")
    if given_from and given_from["emailAddress"]["address"].lower() != owner.mail.lower():
        raise SendAsDenied()
    row.data["from"] = given_from or sender
    row.data["sender"] = sender
    row.from_address = owner.mail.lower()
    row.is_draft = False
    row.is_read = True
    row.sent_at = row.received_at = row.modified_at = at
    row.change_key = ids.new_change_key()


async def submit_draft(conn: AsyncConnection, owner: MailboxOwner, draft: MessageRow, outbox_state: str,
                       known: KnownMailboxes | None = None) -> None:
    """Send a draft inside the caller's transaction; `known` is the app's memory of local
    recipients and Sent Items folders (mail/known.py), when the caller has it."""
    known = known or KnownMailboxes()
    if not draft.is_draft:
        raise InvalidOperation("Only a draft message can be sent; this message has already been sent "
                               "or was received.")
    recipients = check_submittable(draft.data)
    at = now()
    sent = copy.deepcopy(draft)
    _stamp_sent(sent, owner, at)
    sent.id = ids.new_message_id()
    files = await attachment_store.attachments_of(conn, draft.id)
    batch = [Outgoing(owner, sent, recipients, files, draft_id=draft.id)]
    await bulk.write(conn, deliveries.writes(batch, await deliveries.look_up(conn, batch, known), at, outbox_state))


async def send_draft(db: Database, owner: MailboxOwner, message_id: str, outbox_state: str,
                     known: KnownMailboxes | None = None) -> None:
    known = known or KnownMailboxes()
    try:
        async with db.write() as conn:
            await submit_draft(conn, owner, await existing(conn, owner, message_id, for_update=True), outbox_state,
                               known)
    except IntegrityError:
        # A remembered recipient removed since (its Inbox is gone): once more, looked up afresh.
        known.forget()
        async with db.write() as conn:
            await submit_draft(conn, owner, await existing(conn, owner, message_id, for_update=True), outbox_state,
                               known)


def prepare_send_mail(owner: MailboxOwner, content: MessageContent, save_to_sent_items: bool) -> Outgoing:
    """Everything that can refuse a sendMail, done before any lock is taken."""
    at = now()
    sent = draft_from(owner, "", content, at)
    recipients = check_submittable(sent.data)
    _stamp_sent(sent, owner, at)
    sent.has_attachments = any(not new.is_inline for new in content.attachments)
    return Outgoing(owner, sent, recipients, new_files=content.attachments, saved=save_to_sent_items)


async def write_send_mails(db: Database, batch: list[Outgoing], outbox_state: str, known: KnownMailboxes) -> None:
    """Write a batch of sendMails in one transaction of its own."""
    found = deliveries.remembered(batch, known)
    if found is None:
        # Looked up before the write, so that the write itself is a single trip to the database.
        async with db.read() as conn:
            found = await deliveries.look_up(conn, batch, known)
    await bulk.commit(db, deliveries.writes(batch, found, now(), outbox_state))
