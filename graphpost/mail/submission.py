"""Sending: a draft (`POST …/messages/{id}/send`) or a message given whole (`sendMail`).

One transaction stamps the message sent, files it in Sent Items, delivers a copy to the Inbox of
every local recipient and queues the external ones; the caller answers 202 only after it commits.
"""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.errors import InvalidOperation, SendAsDenied
from graphpost.mail import ids
from graphpost.mail import attachments
from graphpost.mail.content import MessageContent
from graphpost.mail.lookup import existing, now
from graphpost.mail.messages import draft_from, snapshot
from graphpost.mail.model import recipient_for
from graphpost.mail.recipients import check_submittable
from graphpost.store import mailbox as store
from graphpost.store import attachments as attachment_store
from graphpost.store import outbox
from graphpost.store.attachments import AttachmentRow
from graphpost.store.database import Database
from graphpost.store.directory import UserRow
from graphpost.store.mailbox import MessageRow

# What the relay needs to render the message later, whatever happens to the sender's copies.
_SUBMITTED_PROPERTIES = ("subject", "body", "from", "sender", "toRecipients", "ccRecipients", "bccRecipients",
                         "replyTo", "importance", "internetMessageId", "internetMessageHeaders",
                         "conversationIndex", "sentDateTime", "isDeliveryReceiptRequested",
                         "isReadReceiptRequested", "inReplyTo", "references")


def _stamp_sent(row: MessageRow, owner: UserRow, at: datetime) -> None:
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


def _received_copy(sent: MessageRow, recipient_id: str, inbox_id: str, at: datetime) -> MessageRow:
    data = copy.deepcopy(sent.data)
    # Bcc is for the envelope: no recipient's copy shows it.
    data.update(bccRecipients=[], categories=[], flag={"flagStatus": "notFlagged"},
                inferenceClassification="focused")
    return MessageRow(
        id=ids.new_message_id(), user_id=recipient_id, folder_id=inbox_id, change_key=ids.new_change_key(),
        created_at=at, modified_at=at, received_at=at, sent_at=sent.sent_at, subject=sent.subject,
        is_read=False, is_draft=False, importance=sent.importance, has_attachments=sent.has_attachments,
        internet_message_id=sent.internet_message_id, conversation_id=sent.conversation_id,
        from_address=sent.from_address, data=data)


def _submitted(sent: MessageRow) -> dict[str, Any]:
    graph = snapshot(sent)
    return {key: graph.get(key) for key in _SUBMITTED_PROPERTIES}


async def _deliver(conn: AsyncConnection, owner: UserRow, sent: MessageRow, recipients: list[str],
                   at: datetime, files: list[AttachmentRow]) -> None:
    local = await store.local_recipients(conn, owner.tenant_id, [address.lower() for address in recipients])
    copies = [_received_copy(sent, user.user_id, user.inbox_id, at) for user in local]
    await store.insert_messages(conn, copies)
    for received in copies:
        # Each copy gets its own attachment rows; the content is shared, not copied.
        await attachment_store.copy_attachments(conn, files, received.id, [ids.new_attachment_id() for _ in files])
    local_keys = {user.address_key for user in local}
    external = [address for address in recipients if address.lower() not in local_keys]
    if external:
        # No relay yet: external mail is captured, kept and listed, never sent.
        submission_id = str(uuid.uuid4())
        await outbox.add_submission(conn, submission_id, owner.id, sent.internet_message_id,
                                    _submitted(sent), external, outbox.CAPTURED, at)
        await attachment_store.insert_submission_attachments(conn, submission_id, files)


async def submit_draft(conn: AsyncConnection, owner: UserRow, draft: MessageRow) -> None:
    """Send a draft inside the caller's transaction."""
    if not draft.is_draft:
        raise InvalidOperation("Only a draft message can be sent; this message has already been sent "
                               "or was received.")
    recipients = check_submittable(draft.data)
    at = now()
    sent = copy.deepcopy(draft)
    _stamp_sent(sent, owner, at)
    # Graph files the sent message as a new item: the draft's id stops answering.
    sent.id = ids.new_message_id()
    sent.folder_id = await store.folder_id_of(conn, owner.id, "sentitems")
    await store.replace_message(conn, draft.id, sent)
    # The attachment rows followed the new id (ON UPDATE CASCADE).
    await _deliver(conn, owner, sent, recipients, at, await attachment_store.attachments_of(conn, sent.id))


async def send_draft(db: Database, owner: UserRow, message_id: str) -> None:
    async with db.write() as conn:
        await submit_draft(conn, owner, await existing(conn, owner, message_id, for_update=True))


async def send_mail(db: Database, owner: UserRow, content: MessageContent, save_to_sent_items: bool) -> None:
    at = now()
    # Everything that can refuse the request is checked before the write lock is taken.
    sent = draft_from(owner, "", content, at)
    recipients = check_submittable(sent.data)
    _stamp_sent(sent, owner, at)
    sent.has_attachments = any(not new.is_inline for new in content.attachments)
    async with db.write() as conn:
        files = await attachments.prepare(conn, sent.id, content.attachments, at)
        if save_to_sent_items:
            sent.folder_id = await store.folder_id_of(conn, owner.id, "sentitems")
            await store.insert_messages(conn, [sent])
            await attachment_store.insert_attachments(conn, files)
        await _deliver(conn, owner, sent, recipients, at, files)
