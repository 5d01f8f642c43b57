"""Attachments of a message: file (bytes), item (an attached message) and reference (a link).

Content is kept in chunked blobs (store.attachments), written as it arrives and read back piece by
piece; attachment rows only point at it, so copies of a message share one blob."""

from __future__ import annotations

import asyncio
import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, AsyncIterator

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.errors import BadRequest, ItemNotFound, RequestBodyRead, RequestTooLarge
from graphpost.mail import ids, mapping, mime
from graphpost.mail.lookup import existing, now
from graphpost.mail.model import parse_message
from graphpost.mail.types import Attachment, MailboxOwner
from graphpost.store import attachments as store
from graphpost.store.attachments import AttachmentRow
from graphpost.store.database import Database
from graphpost.store.mailbox import MessageRow
from graphpost.store import mailbox as messages_store

# Graph: "If the file size is under 3 MB, do a single POST"; bigger files need an upload session.
INLINE_LIMIT = 3 * 1024 * 1024
FILE, ITEM, REFERENCE = "file", "item", "reference"
ODATA_TYPES = {"#microsoft.graph.fileattachment": FILE, "#microsoft.graph.itemattachment": ITEM,
               "#microsoft.graph.referenceattachment": REFERENCE}


class AttachmentInput(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, strict=True, extra="ignore")
    odata_type: str | None = Field(None, alias="@odata.type")
    name: str | None = None
    content_type: str | None = None
    content_bytes: str | None = None
    is_inline: bool = False
    content_id: str | None = None
    item: dict[str, Any] | None = None
    source_url: str | None = None
    provider_type: str | None = None
    permission: str | None = None
    is_folder: bool | None = None
    thumbnail_url: str | None = None
    preview_url: str | None = None


@dataclass(frozen=True)
class NewAttachment:
    """An attachment as a request describes it, checked and decoded, not yet stored."""
    kind: str
    name: str
    content_type: str | None
    is_inline: bool
    content_id: str | None
    content: bytes | None
    data: dict[str, Any]


def decode_content(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RequestBodyRead("The value of contentBytes is not a valid base64 string.") from None


def parse_attachment(payload: Any) -> NewAttachment:
    if not isinstance(payload, dict):
        raise RequestBodyRead("An attachment must be a JSON object.")
    try:
        given = AttachmentInput.model_validate(payload)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise RequestBodyRead(f"Invalid value for property '{'.'.join(map(str, error['loc']))}': {error['msg']}") from None
    kind = ODATA_TYPES.get((given.odata_type or "").lower())
    if kind is None:
        raise BadRequest("An attachment needs an @odata.type of #microsoft.graph.fileAttachment, "
                         "#microsoft.graph.itemAttachment or #microsoft.graph.referenceAttachment.")
    if kind == FILE:
        content = decode_content(given.content_bytes or "")
        if len(content) > INLINE_LIMIT:
            raise RequestTooLarge("The attachment exceeds the 3 MB limit of a single request: "
                                  "create an upload session (attachments/createUploadSession) for it.")
        return NewAttachment(FILE, given.name or "attachment", given.content_type or "application/octet-stream",
                             given.is_inline, given.content_id, content, {})
    if kind == ITEM:
        _, item = parse_message(given.item or {})
        name = given.name or item.get("subject") or "Untitled"
        return NewAttachment(ITEM, name, None, given.is_inline, None, mime.render(item), {"item": item})
    return NewAttachment(REFERENCE, given.name or given.source_url or "link", given.content_type, False, None, None,
                         {"sourceUrl": given.source_url, "providerType": given.provider_type or "other",
                          "thumbnailUrl": given.thumbnail_url, "previewUrl": given.preview_url,
                          "permission": given.permission or "other", "isFolder": bool(given.is_folder)})


def new_rows(message_id: str, attachments: list[NewAttachment], at: datetime,
             first_position: int = 0) -> tuple[list[AttachmentRow], list[tuple[str, bytes]]]:
    """The rows of these attachments of a message, and their content by blob id: nothing written."""
    rows = []
    contents = []
    for position, new in enumerate(attachments, first_position):
        blob_id = None
        if new.content is not None:
            blob_id = str(uuid.uuid4())
            contents.append((blob_id, new.content))
        rows.append(AttachmentRow(
            id=ids.new_attachment_id(), message_id=message_id, position=position, kind=new.kind,
            name=new.name, content_type=new.content_type, size=len(new.content or b""), is_inline=new.is_inline,
            content_id=new.content_id, modified_at=at, blob_id=blob_id, data=new.data))
    return rows, contents


async def prepare(conn: AsyncConnection, message_id: str, attachments: list[NewAttachment], at: datetime,
                  first_position: int = 0) -> list[AttachmentRow]:
    """Write the attachments' content; return their rows, not yet inserted."""
    rows, contents = new_rows(message_id, attachments, at, first_position)
    await store.write_blobs(conn, contents, at)
    return rows


async def store_new(conn: AsyncConnection, message_id: str, attachments: list[NewAttachment],
                    at: datetime) -> list[AttachmentRow]:
    """Write attachments (and their content) for a message; refresh its hasAttachments."""
    rows = await prepare(conn, message_id, attachments, at, await store.next_position(conn, message_id))
    await store.insert_attachments(conn, rows)
    await store.refresh_has_attachments(conn, message_id)
    return rows


async def _touch(conn: AsyncConnection, message: MessageRow, at: datetime) -> None:
    # Adding or removing an attachment is a change of the message: new changeKey.
    message.change_key = ids.new_change_key()
    message.modified_at = at
    await messages_store.touch_message(conn, message.id, message.change_key, at)


async def add(db: Database, owner: MailboxOwner, message_id: str, payload: Any) -> Attachment:
    # In a thread: base64 to decode, or an item attachment's MIME to render (graphpost.mail.content).
    new = await asyncio.to_thread(parse_attachment, payload)
    async with db.write() as conn:
        message = await existing(conn, owner, message_id, for_update=True)
        at = now()
        [row] = await store_new(conn, message.id, [new], at)
        await _touch(conn, message, at)
    return mapping.attachment(row)


async def _existing(conn: AsyncConnection, owner: MailboxOwner, message_id: str, attachment_id: str) -> AttachmentRow:
    message = await existing(conn, owner, message_id)
    row = await store.attachment(conn, message.id, attachment_id)
    if row is None:
        raise ItemNotFound()
    return row


async def content(conn: AsyncConnection, row: AttachmentRow) -> bytes:
    return await store.read_blob(conn, row.blob_id) if row.blob_id else b""


async def list_with_content(db: Database, owner: MailboxOwner, message_id: str) -> list[tuple[Attachment, bytes]]:
    async with db.read() as conn:
        message = await existing(conn, owner, message_id)
        rows = await store.attachments_of(conn, message.id)
        return [(mapping.attachment(row), await content(conn, row) if row.kind == FILE else b"") for row in rows]


async def get_with_content(db: Database, owner: MailboxOwner, message_id: str,
                           attachment_id: str) -> tuple[Attachment, bytes]:
    async with db.read() as conn:
        row = await _existing(conn, owner, message_id, attachment_id)
        return mapping.attachment(row), (await content(conn, row) if row.kind == FILE else b"")


async def delete(db: Database, owner: MailboxOwner, message_id: str, attachment_id: str) -> None:
    async with db.write() as conn:
        message = await existing(conn, owner, message_id, for_update=True)
        row = await store.attachment(conn, message.id, attachment_id)
        if row is None:
            raise ItemNotFound()
        await store.delete_attachment(conn, row)
        await store.refresh_has_attachments(conn, message.id)
        await _touch(conn, message, now())


async def open_content(db: Database, owner: MailboxOwner, message_id: str,
                       attachment_id: str) -> tuple[Attachment, AsyncIterator[bytes]]:
    """The attachment and an iterator over its raw content (file bytes, or an item's MIME), read
    chunk by chunk in a transaction of its own."""
    async with db.read() as conn:
        row = await _existing(conn, owner, message_id, attachment_id)

    async def chunks() -> AsyncIterator[bytes]:
        if row.blob_id is None:
            return
        async with db.read() as conn:
            async for chunk in store.stream_blob(conn, row.blob_id):
                yield chunk

    return mapping.attachment(row), chunks()


async def mime_parts(conn: AsyncConnection, message_id: str) -> list[mime.MimeAttachment | mime.MimeItemAttachment]:
    """The message's attachments as MIME parts (references have no content and are left out)."""
    parts: list[mime.MimeAttachment | mime.MimeItemAttachment] = []
    for row in await store.attachments_of(conn, message_id):
        if row.kind == FILE:
            parts.append(mime.MimeAttachment(row.name, row.content_type or "application/octet-stream",
                                             await content(conn, row), row.is_inline, row.content_id))
        elif row.kind == ITEM:
            parts.append(mime.MimeItemAttachment(row.name, await content(conn, row)))
    return parts


def from_mime(parts: tuple[mime.MimeAttachment | mime.MimeItemAttachment, ...]) -> list[NewAttachment]:
    found = []
    for part in parts:
        if isinstance(part, mime.MimeAttachment):
            found.append(NewAttachment(FILE, part.name, part.content_type, part.is_inline, part.content_id,
                                       part.content, {}))
        else:
            try:
                item = mime.parse(part.message).message
            except mime.MimeError:
                # An attached message without From or recipients (a draft, say) is still an item.
                item = {"subject": part.name}
            found.append(NewAttachment(ITEM, part.name, None, False, None, part.message, {"item": item}))
    return found
