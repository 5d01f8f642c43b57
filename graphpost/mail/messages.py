"""Messages in a mailbox: creating drafts, reading, changing and deleting them."""

from __future__ import annotations

import asyncio
import copy
import re
from datetime import datetime
from typing import Any


from graphpost.errors import (InvalidInternetMessageHeader, InvalidPropertyUpdateSentMessage, InvalidRequest,
                             IrresolvableConflict)
from graphpost.mail import attachments, ids, mapping, mime
from graphpost.mail.content import MessageContent
from graphpost.mail.lookup import existing, now
from graphpost.mail.mailbox import find_folder
from graphpost.mail.model import DRAFT_ONLY, costly_to_parse, parse_message
from graphpost.mail.preview import body_preview
from graphpost.mail.types import MailboxOwner, Message, MessagePage
from graphpost.odata.query import CollectionQuery
from graphpost.store import mailbox as store
from graphpost.store.database import Database
from graphpost.store.mailbox import MessageRow

# Columns that mirror a Graph property, by the property's name.
_COLUMN_OF = {"subject": "subject", "isRead": "is_read", "importance": "importance",
              "internetMessageId": "internet_message_id"}


def _check_headers(headers: list[dict[str, str]]) -> None:
    for header in headers:
        name, value = header["name"], header["value"]
        # Graph only lets clients add custom headers; CR/LF would let one header smuggle another.
        if not name.lower().startswith("x-"):
            raise InvalidInternetMessageHeader(
                f"The internet message header name '{name}' should start with 'x-' or 'X-'.")
        # The name must be one MIME can write (RFC 5322 field-name), or $value and the relay fail later.
        if any(ch in value for ch in "\r\n") or not mime.FIELD_NAME.fullmatch(name):
            raise InvalidInternetMessageHeader(f"The internet message header '{name}' is not valid.")


# Control characters too: the header writer (mime._message_id) refuses them, so $value would fail.
_MESSAGE_ID = re.compile(r"<[^<>\s@\x00-\x1f\x7f]+@[^<>\s@\x00-\x1f\x7f]+>")


def _apply(row: MessageRow, given: dict[str, Any]) -> None:
    """Write the given Graph properties into the row (columns and JSON data alike)."""
    message_id = given.get("internetMessageId")
    if message_id is not None and not _MESSAGE_ID.fullmatch(message_id):
        # It becomes the Message-ID header: RFC 5322 §3.6.4's form, nothing that could break a line.
        raise InvalidRequest("The internetMessageId must look like <unique-part@domain> (RFC 5322).")
    for key, value in given.items():
        if key in _COLUMN_OF:
            setattr(row, _COLUMN_OF[key], value if value is not None else ("" if key == "subject" else value))
        elif key == "internetMessageHeaders":
            _check_headers(value or [])
            row.data[key] = value or []
        else:
            row.data[key] = value
    if "body" in given:
        body = row.data["body"] or {"contentType": "text", "content": ""}
        body["content"] = body.get("content") or ""
        row.data["body"] = body
        row.data["bodyPreview"] = body_preview(body["contentType"], body["content"])
    if "from" in given:
        sender = row.data.get("from")
        row.from_address = sender["emailAddress"]["address"].lower() if sender else None


def new_draft(owner: MailboxOwner, folder_id: str, given: dict[str, Any], at: datetime) -> MessageRow:
    row = MessageRow(
        id=ids.new_message_id(), user_id=owner.id, folder_id=folder_id, change_key=ids.new_change_key(),
        # Graph stamps a draft's received and sent times with its creation time.
        created_at=at, modified_at=at, received_at=at, sent_at=at,
        subject="", is_read=True, is_draft=True, importance="normal", has_attachments=False,
        internet_message_id=ids.new_internet_message_id(owner.mail.rpartition("@")[2]),
        conversation_id=ids.new_conversation_id(), from_address=None, immutable_id=ids.new_immutable_id(),
        data={
            "body": {"contentType": "text", "content": ""}, "bodyPreview": "",
            "toRecipients": [], "ccRecipients": [], "bccRecipients": [], "replyTo": [],
            "from": None, "sender": None, "categories": [], "flag": {"flagStatus": "notFlagged"},
            "isDeliveryReceiptRequested": False, "isReadReceiptRequested": False,
            "inferenceClassification": "focused", "internetMessageHeaders": [],
            "conversationIndex": ids.conversation_index(at),
        })
    _apply(row, given)
    return row


def draft_from(owner: MailboxOwner, folder_id: str, content: MessageContent, at: datetime) -> MessageRow:
    row = new_draft(owner, folder_id, content.given, at)
    if content.in_reply_to:
        row.data["inReplyTo"] = content.in_reply_to
    if content.references:
        row.data["references"] = list(content.references)
    return row


async def create_draft(db: Database, owner: MailboxOwner, content: MessageContent,
                       folder_ref: str = "drafts") -> Message:
    async with db.write() as conn:
        folder = await find_folder(conn, owner.id, folder_ref, counted=False)
        at = now()
        row = draft_from(owner, folder.id, content, at)
        await store.insert_messages(conn, [row])
        if content.attachments:
            await attachments.store_new(conn, row.id, content.attachments, at)
            row.has_attachments = any(not new.is_inline for new in content.attachments)
    return mapping.message(row)


def snapshot(row: MessageRow) -> dict[str, Any]:
    """The message as Graph properties, for MIME and for the outbox."""
    return {**row.data, "subject": row.subject, "importance": row.importance,
            "internetMessageId": row.internet_message_id,
            "sentDateTime": row.sent_at.isoformat() if row.sent_at else None}


async def message_mime(db: Database, owner: MailboxOwner, message_id: str) -> bytes:
    """`GET …/messages/{id}/$value`: the message as RFC 5322, Bcc included (this is the owner's copy)."""
    async with db.read() as conn:
        row = await existing(conn, owner, message_id)
        parts = await attachments.mime_parts(conn, row.id)
    # In a thread: rendering takes ~0.7 ms per address and ~30 ms per MB of attachments, which on
    # the event loop would hold up every other request (issue 13: 16-29 s for 50,000 addresses).
    return await asyncio.to_thread(mime.render, snapshot(row), parts, include_bcc=True,
                                   in_reply_to=row.data.get("inReplyTo"),
                                   references=row.data.get("references") or ())


async def get_message(db: Database, owner: MailboxOwner, message_id: str) -> Message:
    async with db.read() as conn:
        return mapping.message(await existing(conn, owner, message_id))


async def list_messages(db: Database, owner: MailboxOwner, folder_ref: str | None,
                        query: CollectionQuery) -> MessagePage:
    """A page of the mailbox's messages (or one folder's) that `query` selects, in one snapshot."""
    async with db.read() as conn:
        folder_id = (await find_folder(conn, owner.id, folder_ref, counted=False)).id if folder_ref else None
        page = await store.message_page(conn, owner.id, folder_id, query)
    return mapping.message_page(page)


def check_change_key(row: MessageRow, expected: frozenset[str] | None) -> None:
    """Optimistic concurrency: the client's If-Match must name the current change key."""
    if expected is not None and row.change_key not in expected:
        raise IrresolvableConflict()


async def update_message(db: Database, owner: MailboxOwner, message_id: str, payload: Any,
                         expected: frozenset[str] | None = None) -> Message:
    # In a thread when large (graphpost.mail.content): it would hold up the other requests.
    _, given = await asyncio.to_thread(parse_message, payload) if costly_to_parse(payload) else parse_message(payload)
    async with db.write() as conn:
        row = await existing(conn, owner, message_id, for_update=True)
        check_change_key(row, expected)
        if not row.is_draft and DRAFT_ONLY.intersection(given):
            raise InvalidPropertyUpdateSentMessage()
        updated = copy.deepcopy(row)
        _apply(updated, given)
        updated.change_key = ids.new_change_key()
        updated.modified_at = now()
        await store.replace_message(conn, row.id, updated)
    return mapping.message(updated)


async def delete_message(db: Database, owner: MailboxOwner, message_id: str,
                         expected: frozenset[str] | None = None) -> None:
    """Graph's DELETE is a soft delete: the item moves to Recoverable Items and its id stops
    answering in the mailbox."""
    async with db.write() as conn:
        row = await existing(conn, owner, message_id, for_update=True)
        check_change_key(row, expected)
        old_id = row.id
        row.folder_id = await store.folder_id_of(conn, owner.id, "recoverableitemsdeletions")
        row.id = ids.new_message_id()
        row.change_key = ids.new_change_key()
        row.modified_at = now()
        await store.replace_message(conn, old_id, row)
