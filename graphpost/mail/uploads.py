"""Upload sessions for large attachments (`attachments/createUploadSession`, 2 MiB to 150 MB):
the client PUTs byte ranges to an upload URL that carries its own credential; the last range
turns the upload into an attachment.

A range is spooled to a temporary file while it arrives and copied into the store in one short
transaction, so a slow client never holds the (SQLite) write lock and memory stays bounded."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO, Any, AsyncIterator

from graphpost.errors import (BadRequest, ErrorInvalidParameter, GraphError, InvalidAuthenticationToken,
                              ItemNotFound, RangeNotSatisfiable, RequestTooLarge)
from graphpost.mail import ids
from graphpost.mail.lookup import existing, now
from graphpost.mail.types import MailboxOwner
from graphpost.store import attachments as store
from graphpost.store import mailbox as messages_store
from graphpost.store.attachments import AttachmentRow, UploadSessionRow
from graphpost.store.database import Database

MIN_SIZE = 2 * 1024 * 1024        # below this Graph answers ErrorAttachmentSizeShouldNotBeLessThanMinimumSize
MAX_SIZE = 150 * 1024 * 1024
MAX_RANGE = 64 * 1024 * 1024      # one PUT; clients send a few MB at a time
IDLE_LIFETIME = timedelta(minutes=30)
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")


class AttachmentSizeTooSmall(GraphError):
    status, code = 400, "ErrorAttachmentSizeShouldNotBeLessThanMinimumSize"
    default_message = "Attachment size should not be less than the minimum size for an upload session."


class AttachmentSizeTooLarge(GraphError):
    status, code = 400, "ErrorAttachmentSizeShouldNotBeGreaterThanMaximumSize"
    default_message = "Attachment size should not be greater than 150 MB."


def _timestamp(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SessionState:
    """What an upload session answers: where to send, until when, and what it expects next."""
    upload_url: str | None
    expires_at: datetime
    received: int
    size: int

    def resource(self) -> dict[str, Any]:
        body: dict[str, Any] = {"expirationDateTime": _timestamp(self.expires_at),
                                # start-end, as OneDrive and the SDKs' LargeFileUploadTask parse it
                                "nextExpectedRanges": [f"{self.received}-{self.size - 1}"]}
        if self.upload_url:
            body = {"uploadUrl": self.upload_url, **body}
        return body


@dataclass(frozen=True)
class Finished:
    attachment: AttachmentRow
    message_id: str
    user_id: str


async def create(db: Database, owner: MailboxOwner, message_id: str, item: Any, server: str) -> SessionState:
    if not isinstance(item, dict):
        raise ErrorInvalidParameter("The 'AttachmentItem' parameter is required.")
    fields = {key.lower(): value for key, value in item.items()}
    kind = str(fields.get("attachmenttype") or "file").lower()
    name, size = fields.get("name"), fields.get("size")
    if kind != "file":
        raise BadRequest("Only file attachments can be uploaded in a session.")
    if not isinstance(name, str) or not name.strip():
        raise ErrorInvalidParameter("The attachment item needs a name.")
    if not isinstance(size, int) or isinstance(size, bool):
        raise ErrorInvalidParameter("The attachment item needs its size in bytes.")
    if size < MIN_SIZE:
        raise AttachmentSizeTooSmall()
    if size > MAX_SIZE:
        raise AttachmentSizeTooLarge()
    token = secrets.token_urlsafe(32)
    at = now()
    async with db.write() as conn:
        message = await existing(conn, owner, message_id)
        # Sessions left unfinished past their expiry go, with what they had received.
        for stale in await store.expired_upload_sessions(conn, owner.id, at):
            await store.delete_upload_session(conn, stale, keep_blob=stale.attachment_id is not None)
        session = UploadSessionRow(
            id=ids.new_upload_session_id(), token_hash=_hash(token), user_id=owner.id, message_id=message.id,
            name=name, content_type=str(fields.get("contenttype") or "application/octet-stream"), size=size,
            is_inline=bool(fields.get("isinline")), content_id=fields.get("contentid"), received=0,
            blob_id=str(uuid.uuid4()), expires_at=at + IDLE_LIFETIME)
        await store.create_blob(conn, session.blob_id, at)
        await store.insert_upload_session(conn, session)
    url = f"{server}/upload/attachmentSessions/{session.id}?authtoken={token}"
    return SessionState(url, session.expires_at, 0, size)


def parse_range(header: str | None, declared_length: int | None) -> tuple[int, int, int]:
    match = _CONTENT_RANGE.fullmatch((header or "").strip())
    if match is None:
        raise BadRequest("A Content-Range header like 'bytes 0-4194303/10485760' is required.")
    start, end, total = (int(part) for part in match.groups())
    if end < start:
        raise BadRequest("The Content-Range is empty.")
    if end - start + 1 > MAX_RANGE:
        raise RequestTooLarge(f"One range may carry at most {MAX_RANGE} bytes.")
    if declared_length is not None and declared_length != end - start + 1:
        raise BadRequest("Content-Length does not match the Content-Range.")
    return start, end, total


async def _session(db: Database, session_id: str, token: str | None) -> UploadSessionRow:
    async with db.read() as conn:
        session = await store.upload_session(conn, session_id)
    if session is None or session.expires_at <= now():
        raise ItemNotFound("The upload session does not exist or has expired.")
    if not token or not hmac.compare_digest(session.token_hash, _hash(token)):
        raise InvalidAuthenticationToken("The upload URL's authtoken is missing or wrong.")
    return session


async def session_owner(db: Database, session_id: str, token: str | None) -> str:
    """The id of the mailbox an upload session belongs to (after its token's check)."""
    return (await _session(db, session_id, token)).user_id


async def _spool(body: AsyncIterator[bytes], expected: int) -> IO[bytes]:
    spool = tempfile.SpooledTemporaryFile(max_size=store.CHUNK_SIZE)
    received = 0
    async for piece in body:
        received += len(piece)
        if received > expected:
            spool.close()
            raise BadRequest("The request body is longer than its Content-Range.")
        spool.write(piece)
    if received != expected:
        spool.close()
        raise BadRequest("The request body is shorter than its Content-Range.")
    spool.seek(0)
    return spool


async def put_range(db: Database, session_id: str, token: str | None, content_range: str | None,
                    content_length: int | None, body: AsyncIterator[bytes]) -> SessionState | Finished:
    session = await _session(db, session_id, token)
    start, end, total = parse_range(content_range, content_length)
    if session.attachment_id is not None:
        return await _repeat_of_last_range(db, session, end, total)
    if total != session.size:
        raise BadRequest(f"The total size in Content-Range ({total}) is not the session's ({session.size}).")
    if start != session.received or end >= session.size:
        raise RangeNotSatisfiable(f"The next expected range is {session.received}-{session.size - 1}.")
    spool = await _spool(body, end - start + 1)
    try:
        async with db.write() as conn:
            # Re-read under the write lock: two PUTs of the same range must not both land.
            current = await store.upload_session(conn, session_id, for_update=True)
            if current is None or await messages_store.is_soft_deleted(conn, current.message_id):
                raise ItemNotFound("The message of this upload session no longer exists.")
            if current.received != start:
                raise RangeNotSatisfiable("The uploaded fragment overlaps with data that has already been received.")
            offset = start
            while piece := spool.read(store.CHUNK_SIZE):
                await store.append_to_blob(conn, session.blob_id, offset, piece)
                offset += len(piece)
            at = now()
            if offset < session.size:
                await store.advance_upload_session(conn, session.id, offset, at + IDLE_LIFETIME)
                return SessionState(None, at + IDLE_LIFETIME, offset, session.size)
            return await _finish(conn, session, at)
    finally:
        spool.close()


async def _finish(conn: Any, session: UploadSessionRow, at: datetime) -> Finished:
    await store.finish_blob(conn, session.blob_id, session.size)
    row = AttachmentRow(
        id=ids.new_attachment_id(), message_id=session.message_id,
        position=await store.next_position(conn, session.message_id), kind="file", name=session.name,
        content_type=session.content_type, size=session.size, is_inline=session.is_inline,
        content_id=session.content_id, modified_at=at, blob_id=session.blob_id, data={})
    await store.insert_attachments(conn, [row])
    # The session stays (until it expires) to answer a repeat of the last range the same way.
    await store.complete_upload_session(conn, session.id, row.id, session.size)
    await store.refresh_has_attachments(conn, session.message_id)
    await messages_store.touch_message(conn, session.message_id, ids.new_change_key(), at)
    return Finished(row, session.message_id, session.user_id)


async def _repeat_of_last_range(db: Database, session: UploadSessionRow, end: int, total: int) -> Finished:
    # msgraph-core's LargeFileUploadTask PUTs the final range a second time after the 201.
    if total != session.size or end != session.size - 1:
        raise RangeNotSatisfiable("The upload is complete; only its last range may be repeated.")
    async with db.read() as conn:
        row = await store.attachment_by_id(conn, session.attachment_id or "")
    if row is None:  # the attachment was deleted since
        raise ItemNotFound("The upload session does not exist or has expired.")
    return Finished(row, row.message_id, session.user_id)


async def cancel(db: Database, session_id: str, token: str | None) -> None:
    session = await _session(db, session_id, token)
    async with db.write() as conn:
        await store.delete_upload_session(conn, session, keep_blob=session.attachment_id is not None)
