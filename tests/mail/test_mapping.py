"""mail/mapping.py: the store's rows as the domain's values, every property of the stored document
carried over, and a document missing what graphpost always writes still read (never a 500)."""

from __future__ import annotations

from datetime import datetime, timezone

from graphpost.mail import mapping
from graphpost.mail.messages import new_draft
from graphpost.mail.types import (NOT_FLAGGED, Attachment, Body, DateTimeTimeZone, Flag, Folder, Header, Recipient,
                                  Reference)
from graphpost.store.attachments import AttachmentRow
from graphpost.store.directory import UserRow
from graphpost.store.mailbox import FolderRow

AT = datetime(2026, 12, 2, 9, 30, tzinfo=timezone.utc)
OWNER = UserRow("6f1c7a3e-0000-4000-8000-000000000001", "tenant", "alice@contoso.test", "alice@contoso.test", "Alice")


def _recipient(name: str, address: str) -> dict[str, object]:
    return {"emailAddress": {"name": name, "address": address}}


def test_message_carries_every_property_of_its_row() -> None:
    flag = {"flagStatus": "flagged", "startDateTime": {"dateTime": "2026-12-02T00:00:00", "timeZone": "UTC"},
            "dueDateTime": {"dateTime": "2026-12-09T00:00:00", "timeZone": "UTC"}}
    row = new_draft(OWNER, "drafts-id", {
        "subject": "Plans", "body": {"contentType": "html", "content": "<p>Hello</p>"}, "importance": "high",
        "toRecipients": [_recipient("Bob", "bob@contoso.test")], "ccRecipients": [_recipient("Carol", "carol@x.test")],
        "bccRecipients": [_recipient("Dave", "dave@x.test")], "replyTo": [_recipient("Erin", "erin@x.test")],
        "from": _recipient("Alice", "alice@contoso.test"), "categories": ["Blue"], "flag": flag,
        "isReadReceiptRequested": True, "inferenceClassification": "other",
        "internetMessageHeaders": [{"name": "x-trace", "value": "1"}]}, AT)

    message = mapping.message(row)

    assert (message.id, message.immutable_id, message.folder_id, message.change_key) == (
        row.id, row.immutable_id, "drafts-id", row.change_key)
    assert (message.created_at, message.modified_at, message.received_at, message.sent_at) == (AT, AT, AT, AT)
    assert (message.subject, message.importance, message.is_read, message.is_draft, message.has_attachments) == (
        "Plans", "high", True, True, False)
    assert message.body == Body("html", "<p>Hello</p>")
    assert message.body_preview == "Hello"
    assert (message.internet_message_id, message.conversation_id) == (row.internet_message_id, row.conversation_id)
    assert message.conversation_index == row.data["conversationIndex"]
    assert message.from_ == Recipient("Alice", "alice@contoso.test")
    assert message.sender is None
    assert message.to_recipients == [Recipient("Bob", "bob@contoso.test")]
    assert message.cc_recipients == [Recipient("Carol", "carol@x.test")]
    assert message.bcc_recipients == [Recipient("Dave", "dave@x.test")]
    assert message.reply_to == [Recipient("Erin", "erin@x.test")]
    assert message.categories == ["Blue"]
    assert message.flag == Flag("flagged", DateTimeTimeZone("2026-12-02T00:00:00", "UTC"),
                                DateTimeTimeZone("2026-12-09T00:00:00", "UTC"), None)
    assert (message.is_delivery_receipt_requested, message.is_read_receipt_requested) == (False, True)
    assert message.inference_classification == "other"
    assert message.internet_message_headers == [Header("x-trace", "1")]


def test_a_document_without_what_graphpost_writes_is_still_read() -> None:
    row = new_draft(OWNER, "drafts-id", {}, AT)
    row.data = {"toRecipients": [{"emailAddress": {"address": "bob@contoso.test"}}, {}], "from": {"emailAddress": None}}

    message = mapping.message(row)

    assert message.to_recipients == [Recipient("", "bob@contoso.test"), Recipient("", "")]
    assert message.from_ == Recipient("", "")
    assert (message.body, message.body_preview, message.sender) == (None, "", None)
    assert (message.cc_recipients, message.categories, message.internet_message_headers) == ([], [], [])
    assert message.flag == Flag(NOT_FLAGGED)
    assert message.inference_classification == "focused"


def test_folder_and_page() -> None:
    row = FolderRow("f1", OWNER.id, "root", None, "Projects", False, 2, 10, 3)
    assert mapping.folder(row) == Folder("f1", "root", "Projects", False, 2, 10, 3)


def test_reference_attachment_keeps_its_link_and_a_file_has_none() -> None:
    data = {"sourceUrl": "https://x.test/a", "providerType": "other", "thumbnailUrl": None, "previewUrl": None,
            "permission": "view", "isFolder": False}
    link = AttachmentRow("a1", "m1", 0, "reference", "a", None, 0, False, None, AT, None, data)
    assert mapping.attachment(link) == Attachment("a1", "reference", "a", None, 0, False, None, AT,
                                                  Reference("https://x.test/a", "other", None, None, "view", False))
    file = AttachmentRow("a2", "m1", 1, "file", "b.txt", "text/plain", 3, True, "cid", AT, "blob", {})
    assert mapping.attachment(file) == Attachment("a2", "file", "b.txt", "text/plain", 3, True, "cid", AT)
