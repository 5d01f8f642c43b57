"""Attachment rows, their chunked content (blobs), submission attachments and upload sessions."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, AsyncIterator

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store import bulk
from graphpost.store.schema import (attachments, blob_chunks, blobs, messages, submission_attachments,
                                    upload_sessions)

CHUNK_SIZE = 1024 * 1024


@dataclass(frozen=True)
class AttachmentRow:
    id: str
    message_id: str
    position: int
    kind: str
    name: str
    content_type: str | None
    size: int
    is_inline: bool
    content_id: str | None
    modified_at: datetime
    blob_id: str | None
    data: dict[str, Any] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class UploadSessionRow:
    id: str
    token_hash: str
    user_id: str
    message_id: str
    name: str
    content_type: str
    size: int
    is_inline: bool
    content_id: str | None
    received: int
    blob_id: str
    expires_at: datetime
    attachment_id: str | None = None


_ATTACHMENT_COLUMNS = [column.name for column in attachments.columns]


def _attachment(row: sa.Row) -> AttachmentRow:
    return AttachmentRow(**{name: getattr(row, name) for name in _ATTACHMENT_COLUMNS})


# --- blobs ---------------------------------------------------------------------------------------

async def create_blob(conn: AsyncConnection, blob_id: str, now: datetime) -> None:
    await conn.execute(blobs.insert().values(id=blob_id, size=0, created_at=now))


async def append_to_blob(conn: AsyncConnection, blob_id: str, offset: int, data: bytes) -> None:
    """Store `data` at `offset`, in pieces of at most CHUNK_SIZE."""
    pieces = [{"blob_id": blob_id, "offset": offset + start, "data": data[start:start + CHUNK_SIZE]}
              for start in range(0, len(data), CHUNK_SIZE)]
    if pieces:
        await conn.execute(blob_chunks.insert(), pieces)


async def finish_blob(conn: AsyncConnection, blob_id: str, size: int) -> None:
    await conn.execute(blobs.update().where(blobs.c.id == blob_id).values(size=size))


def blob_inserts(contents: list[tuple[str, bytes]], now: datetime) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """The rows of these blobs (id, content) and of their chunks, for store/bulk.py."""
    return [(blobs, [{"id": blob_id, "size": len(data), "created_at": now} for blob_id, data in contents]),
            (blob_chunks, [{"blob_id": blob_id, "offset": start, "data": data[start:start + CHUNK_SIZE]}
                           for blob_id, data in contents for start in range(0, len(data), CHUNK_SIZE)])]


async def write_blobs(conn: AsyncConnection, contents: list[tuple[str, bytes]], now: datetime) -> None:
    for table, rows in blob_inserts(contents, now):
        await bulk.insert_rows(conn, table, rows)


async def read_blob(conn: AsyncConnection, blob_id: str) -> bytes:
    rows = await conn.execute(sa.select(blob_chunks.c.data).where(blob_chunks.c.blob_id == blob_id)
                              .order_by(blob_chunks.c.offset))
    return b"".join(row.data for row in rows)


async def stream_blob(conn: AsyncConnection, blob_id: str) -> AsyncIterator[bytes]:
    """The content one stored chunk at a time: memory stays bounded whatever the size."""
    offset = -1
    while True:
        row = (await conn.execute(
            sa.select(blob_chunks.c.offset, blob_chunks.c.data)
            .where(blob_chunks.c.blob_id == blob_id, blob_chunks.c.offset > offset)
            .order_by(blob_chunks.c.offset).limit(1))).first()
        if row is None:
            return
        offset = row.offset
        yield row.data


async def delete_blob_if_unused(conn: AsyncConnection, blob_id: str) -> None:
    used = sa.union_all(
        sa.select(attachments.c.blob_id).where(attachments.c.blob_id == blob_id),
        sa.select(submission_attachments.c.blob_id).where(submission_attachments.c.blob_id == blob_id),
        sa.select(upload_sessions.c.blob_id).where(upload_sessions.c.blob_id == blob_id),
    ).limit(1)
    if (await conn.execute(used)).first() is None:
        await conn.execute(blobs.delete().where(blobs.c.id == blob_id))


# --- attachments ---------------------------------------------------------------------------------

def attachment_inserts(rows: list[AttachmentRow]) -> tuple[sa.Table, list[dict[str, Any]]]:
    """These attachment rows, for store/bulk.py."""
    return attachments, [row.values() for row in rows]


async def insert_attachments(conn: AsyncConnection, rows: list[AttachmentRow]) -> None:
    await bulk.insert_rows(conn, *attachment_inserts(rows))


async def attachments_of(conn: AsyncConnection, message_id: str) -> list[AttachmentRow]:
    rows = await conn.execute(sa.select(attachments).where(attachments.c.message_id == message_id)
                              .order_by(attachments.c.position))
    return [_attachment(row) for row in rows]


async def attachment(conn: AsyncConnection, message_id: str, attachment_id: str) -> AttachmentRow | None:
    row = (await conn.execute(sa.select(attachments).where(attachments.c.message_id == message_id,
                                                           attachments.c.id == attachment_id))).first()
    return _attachment(row) if row else None


async def next_position(conn: AsyncConnection, message_id: str) -> int:
    found = await conn.execute(sa.select(sa.func.max(attachments.c.position))
                               .where(attachments.c.message_id == message_id))
    top = found.scalar_one_or_none()
    return 0 if top is None else top + 1


async def delete_attachment(conn: AsyncConnection, row: AttachmentRow) -> None:
    await conn.execute(attachments.delete().where(attachments.c.id == row.id))
    if row.blob_id:
        await delete_blob_if_unused(conn, row.blob_id)


async def refresh_has_attachments(conn: AsyncConnection, message_id: str) -> None:
    # Graph's hasAttachments leaves inline attachments out.
    visible = (sa.select(attachments.c.id)
               .where(attachments.c.message_id == message_id, attachments.c.is_inline.is_(False)).exists())
    await conn.execute(messages.update().where(messages.c.id == message_id).values(has_attachments=visible))


def copies_for(rows: list[AttachmentRow], message_id: str, new_ids: list[str]) -> list[AttachmentRow]:
    """Rows of `message_id` for the attachments `rows`, sharing their content."""
    return [replace(row, id=new_id, message_id=message_id) for row, new_id in zip(rows, new_ids)]


async def copy_attachments(conn: AsyncConnection, rows: list[AttachmentRow], message_id: str,
                           new_ids: list[str]) -> None:
    await insert_attachments(conn, copies_for(rows, message_id, new_ids))


def submission_attachment_inserts(by_submission: list[tuple[str, list[AttachmentRow]]]
                                  ) -> tuple[sa.Table, list[dict[str, Any]]]:
    """The attachments of these submissions (id, the sent message's attachment rows), for
    store/bulk.py: they share the content (blobs) of the sent message's."""
    return submission_attachments, [
        {"submission_id": submission_id, "position": index, "kind": row.kind, "name": row.name,
         "content_type": row.content_type, "is_inline": row.is_inline, "content_id": row.content_id,
         "blob_id": row.blob_id, "data": row.data}
        for submission_id, rows in by_submission for index, row in enumerate(rows)]


# --- upload sessions -----------------------------------------------------------------------------

async def insert_upload_session(conn: AsyncConnection, session: UploadSessionRow) -> None:
    await conn.execute(upload_sessions.insert().values(**session.__dict__))


async def upload_session(conn: AsyncConnection, session_id: str, *, for_update: bool = False) -> UploadSessionRow | None:
    query = sa.select(upload_sessions).where(upload_sessions.c.id == session_id)
    if for_update:
        query = query.with_for_update()
    row = (await conn.execute(query)).first()
    return UploadSessionRow(**row._mapping) if row else None


async def advance_upload_session(conn: AsyncConnection, session_id: str, received: int, expires_at: datetime) -> None:
    await conn.execute(upload_sessions.update().where(upload_sessions.c.id == session_id)
                       .values(received=received, expires_at=expires_at))


async def complete_upload_session(conn: AsyncConnection, session_id: str, attachment_id: str, size: int) -> None:
    await conn.execute(upload_sessions.update().where(upload_sessions.c.id == session_id)
                       .values(received=size, attachment_id=attachment_id))


async def attachment_by_id(conn: AsyncConnection, attachment_id: str) -> AttachmentRow | None:
    row = (await conn.execute(sa.select(attachments).where(attachments.c.id == attachment_id))).first()
    return _attachment(row) if row else None


async def expired_upload_sessions(conn: AsyncConnection, user_id: str, now: datetime) -> list[UploadSessionRow]:
    rows = await conn.execute(sa.select(upload_sessions).where(upload_sessions.c.user_id == user_id,
                                                               upload_sessions.c.expires_at <= now))
    return [UploadSessionRow(**row._mapping) for row in rows]


async def delete_upload_session(conn: AsyncConnection, session: UploadSessionRow, *, keep_blob: bool) -> None:
    await conn.execute(upload_sessions.delete().where(upload_sessions.c.id == session.id))
    if not keep_blob:
        await delete_blob_if_unused(conn, session.blob_id)
