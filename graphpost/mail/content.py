"""What a client hands in to create or send a message: Graph JSON (with inline attachments) or,
with `Content-Type: text/plain`, a base64-encoded MIME message.

Reading MIME is slow enough to stall every other request if it ran on the event loop: the stdlib
parser takes ~1 ms per address in To/Cc/Bcc (1.3 s for 1,000; 18 s for 5,000), and writing an item
attachment's MIME ~0.7 ms per address. The `read_…` coroutines do that work in a thread; the
header bounds in mail/mime.py (500 addresses an address header among them) cap what it may cost."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from graphpost.errors import GraphError, RequestBodyRead
from graphpost.mail import mime
from graphpost.mail.attachments import NewAttachment, parse_attachment
from graphpost.mail.attachments import from_mime as attachments_from_mime
from graphpost.mail.model import costly_to_parse, parse_message
from graphpost.mail.nul import dropped


class MimeContentInvalid(GraphError):
    status, code = 400, "ErrorMimeContentInvalidBase64String"
    default_message = "Invalid base64 string for MIME content."


@dataclass(frozen=True)
class MessageContent:
    given: dict[str, Any]                        # Graph properties, as model.parse_message leaves them
    attachments: list[NewAttachment] = field(default_factory=list)
    internet_message_id: str | None = None       # kept from MIME
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()


async def read_json(payload: Any) -> MessageContent:
    """from_json; in a thread when that is worth it (model.costly_to_parse)."""
    if costly_to_parse(payload):
        return await asyncio.to_thread(from_json, payload)
    return from_json(payload)


async def read_base64_mime(body: bytes) -> MessageContent:
    return await asyncio.to_thread(from_base64_mime, body)


async def read_mime(raw: bytes) -> MessageContent:
    return await asyncio.to_thread(from_mime, raw)


def from_json(payload: Any) -> MessageContent:
    if isinstance(payload, dict) and payload.get("attachments"):
        if not isinstance(payload["attachments"], list):
            raise RequestBodyRead("The property 'attachments' must be an array.")
        attachments = [parse_attachment(item) for item in payload["attachments"]]
    else:
        attachments = []
    _, given = parse_message(payload)
    return MessageContent(given, attachments)


def from_base64_mime(body: bytes) -> MessageContent:
    try:
        raw = mime.decode_base64_mime(body)
    except mime.MimeError as exc:
        raise MimeContentInvalid(str(exc) or None) from None
    return from_mime(raw)


def from_mime(raw: bytes) -> MessageContent:
    try:
        parsed = dropped(mime.parse(raw))
    except mime.MimeError as exc:
        raise MimeContentInvalid(str(exc) or None) from None
    _, given = parse_message(parsed.message)
    if parsed.internet_message_id:
        given["internetMessageId"] = parsed.internet_message_id
    return MessageContent(given, attachments_from_mime(parsed.attachments), parsed.internet_message_id,
                          parsed.in_reply_to, parsed.references)
