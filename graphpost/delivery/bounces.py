"""Non-delivery reports, written into the sender's Inbox as Exchange does: subject
`Undeliverable: <subject>`, the failed recipients with the remote server's answer in the body,
the original message attached. A bounce is a local delivery: it never bounces itself."""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.mail import attachments, ids
from graphpost.mail.attachments import ITEM, NewAttachment
from graphpost.mail.model import recipient_for
from graphpost.mail.preview import body_preview
from graphpost.store import attachments as attachment_store
from graphpost.store import mailbox as store
from graphpost.store.mailbox import MessageRow
from graphpost.store.outbox import SubmissionRow


def _body(submission: SubmissionRow, failures: dict[str, str]) -> str:
    rows = "".join(f"<li><b>{html.escape(address)}</b><br>Remote server returned: {html.escape(answer)}</li>"
                   for address, answer in failures.items())
    subject = html.escape(str(submission.message.get("subject") or ""))
    return (f"<html><body><p>Your message couldn't be delivered to these recipients:</p><ul>{rows}</ul>"
            f"<p>Original message: <i>{subject}</i>, {html.escape(submission.internet_message_id)}</p>"
            "</body></html>")


async def write_bounce(conn: AsyncConnection, submission: SubmissionRow, failures: dict[str, str],
                       original: bytes, at: datetime) -> MessageRow:
    domain = submission.sender.rpartition("@")[2]
    postmaster = recipient_for("Mail Delivery System", f"postmaster@{domain}")
    subject = f"Undeliverable: {submission.message.get('subject') or ''}"
    content = _body(submission, failures)
    row = MessageRow(
        id=ids.new_message_id(), user_id=submission.user_id,
        folder_id=await store.folder_id_of(conn, submission.user_id, "inbox"), change_key=ids.new_change_key(),
        created_at=at, modified_at=at, received_at=at, sent_at=at, subject=subject, is_read=False, is_draft=False,
        importance="normal", has_attachments=True, internet_message_id=ids.new_internet_message_id(domain),
        conversation_id=ids.new_conversation_id(), from_address=postmaster["emailAddress"]["address"],
        immutable_id=ids.new_immutable_id(),
        data={"body": {"contentType": "html", "content": content}, "bodyPreview": body_preview("html", content),
              "toRecipients": [recipient_for(submission.sender, submission.sender)], "ccRecipients": [],
              "bccRecipients": [], "replyTo": [], "from": postmaster, "sender": postmaster, "categories": [],
              "flag": {"flagStatus": "notFlagged"}, "isDeliveryReceiptRequested": False,
              "isReadReceiptRequested": False, "inferenceClassification": "focused", "internetMessageHeaders": [],
              "conversationIndex": ids.conversation_index(at)})
    await store.insert_messages(conn, [row])
    item = {key: submission.message.get(key) for key in ("subject", "body", "toRecipients", "ccRecipients")}
    files = await attachments.prepare(conn, row.id, [NewAttachment(
        ITEM, str(submission.message.get("subject") or "Original message"), None, False, None, original,
        {"item": item})], at)
    await attachment_store.insert_attachments(conn, files)
    return row
