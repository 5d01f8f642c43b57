"""Non-delivery reports, written into the sender's Inbox as Exchange does: subject
`Undeliverable: <subject>`, the failed recipients with the remote server's answer in the body,
the original message attached. A bounce is a local delivery: it never bounces itself.

Written by the send path (a recipient of an accepted domain that is no user) and by the delivery
worker (a relay's refusal)."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.mail import attachments, ids
from graphpost.mail.attachments import ITEM, NewAttachment
from graphpost.mail.model import recipient_for
from graphpost.mail.preview import body_preview
from graphpost.store import attachments as attachment_store
from graphpost.store import mailbox as store
from graphpost.store.mailbox import MessageRow

# What Exchange Online answers for an address of an accepted domain that resolves to no one.
RECIPIENT_NOT_FOUND = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"


@dataclass(frozen=True)
class Undelivered:
    """A message that could not reach some of its recipients: whose it is, and what it said."""
    user_id: str
    sender: str
    internet_message_id: str
    message: dict[str, Any]  # Graph properties of the message as sent


def _body(undelivered: Undelivered, failures: dict[str, str]) -> str:
    rows = "".join(f"<li><b>{html.escape(address)}</b><br>Remote server returned: {html.escape(answer)}</li>"
                   for address, answer in failures.items())
    subject = html.escape(str(undelivered.message.get("subject") or ""))
    return (f"<html><body><p>Your message couldn't be delivered to these recipients:</p><ul>{rows}</ul>"
            f"<p>Original message: <i>{subject}</i>, {html.escape(undelivered.internet_message_id)}</p>"
            "</body></html>")


def report_message(user_id: str, sender: str, inbox_id: str, subject: str, content: str, at: datetime,
                   has_attachments: bool) -> MessageRow:
    """A report from the postmaster of the sender's domain, for the sender's Inbox; `content` is its
    HTML body. Every non-delivery report is such a message (and mail/recipient_limit.py's)."""
    domain = sender.rpartition("@")[2]
    postmaster = recipient_for("Mail Delivery System", f"postmaster@{domain}")
    return MessageRow(
        id=ids.new_message_id(), user_id=user_id, folder_id=inbox_id, change_key=ids.new_change_key(),
        created_at=at, modified_at=at, received_at=at, sent_at=at, subject=subject, is_read=False, is_draft=False,
        importance="normal", has_attachments=has_attachments, internet_message_id=ids.new_internet_message_id(domain),
        conversation_id=ids.new_conversation_id(), from_address=postmaster["emailAddress"]["address"],
        immutable_id=ids.new_immutable_id(),
        data={"body": {"contentType": "html", "content": content}, "bodyPreview": body_preview("html", content),
              "toRecipients": [recipient_for(sender, sender)], "ccRecipients": [], "bccRecipients": [],
              "replyTo": [], "from": postmaster, "sender": postmaster, "categories": [],
              "flag": {"flagStatus": "notFlagged"}, "isDeliveryReceiptRequested": False,
              "isReadReceiptRequested": False, "inferenceClassification": "focused", "internetMessageHeaders": [],
              "conversationIndex": ids.conversation_index(at)})


def report(undelivered: Undelivered, failures: dict[str, str], original: bytes | None, inbox_id: str,
           at: datetime) -> tuple[MessageRow, list[NewAttachment]]:
    """The report for `failures` (address: the answer refusing it), for the sender's Inbox, and
    its attachment: the original message (its MIME, `original`), none when it could not be
    written. Nothing written yet."""
    row = report_message(undelivered.user_id, undelivered.sender, inbox_id,
                         f"Undeliverable: {undelivered.message.get('subject') or ''}", _body(undelivered, failures),
                         at, has_attachments=original is not None)
    if original is None:
        return row, []
    item = {key: undelivered.message.get(key) for key in ("subject", "body", "toRecipients", "ccRecipients")}
    return row, [NewAttachment(ITEM, str(undelivered.message.get("subject") or "Original message"), None, False,
                               None, original, {"item": item})]


async def write_bounce(conn: AsyncConnection, undelivered: Undelivered, failures: dict[str, str],
                       original: bytes | None, at: datetime) -> MessageRow:
    """The report (`report`) written into the sender's Inbox, inside the caller's transaction."""
    inbox_id = await store.folder_id_of(conn, undelivered.user_id, "inbox")
    row, attached = report(undelivered, failures, original, inbox_id, at)
    await store.insert_messages(conn, [row])
    await attachment_store.insert_attachments(conn, await attachments.prepare(conn, row.id, attached, at))
    return row
