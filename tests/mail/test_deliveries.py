"""mail/deliveries.py: the rows a batch of submissions writes, built whole before the write, the
same for a sendMail batch and a draft's send. The writes themselves, on both backends, are tested
through the API (tests/api/test_send.py, test_recipient_limit.py, test_recipient_not_found.py)."""

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.dialects import sqlite

from graphpost.mail import deliveries, ids, recipient_limit
from graphpost.mail.attachments import FILE, NewAttachment
from graphpost.mail.deliveries import Found, Outgoing
from graphpost.store import bulk
from graphpost.store.attachments import AttachmentRow
from graphpost.store.directory import UserRow
from graphpost.store.mailbox import LocalRecipient, MessageRow

AT = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
ALICE = UserRow("u-alice", "t1", "alice@contoso.com", "alice@contoso.com", "Alice")
BOB = LocalRecipient("u-bob", "bob@contoso.com", "inbox-bob")
FOUND = Found(sent_items={ALICE.id: "sent-alice"}, local={("t1", BOB.address_key): BOB},
              not_found={("t1", "nobody@contoso.com")}, inboxes={ALICE.id: "inbox-alice"})


def _sent(**changes: Any) -> MessageRow:
    row = MessageRow(
        id=ids.new_message_id(), user_id=ALICE.id, folder_id="drafts-alice", change_key="ck", created_at=AT,
        modified_at=AT, received_at=AT, sent_at=AT, subject="Numbers", is_read=True, is_draft=False,
        importance="normal", has_attachments=True, internet_message_id="<n@contoso.com>", conversation_id="c1",
        from_address=ALICE.mail, data={"subject": "Numbers", "body": {"contentType": "text", "content": "Attached."}},
        immutable_id="imm")
    row.__dict__.update(changes)
    return row


def _rows(writes: bulk.Writes) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for table, rows in writes.inserts:
        found.setdefault(table.name, []).extend(rows)
    return found


def _file(message_id: str) -> AttachmentRow:
    return AttachmentRow("att-1", message_id, 0, FILE, "numbers.csv", "text/csv", 3, False, None, AT, "blob-1")


def test_a_send_mail_inserts_its_message_copies_outbox_entry_and_attachments() -> None:
    sent = _sent()
    new = NewAttachment(FILE, "numbers.csv", "text/csv", False, None, b"1,2", {})
    out = Outgoing(ALICE, sent, ["bob@contoso.com", "carol@example.org"], new_files=[new])
    writes = deliveries.writes([out], FOUND, AT, "captured")
    rows = _rows(writes)
    assert all(not updates for _, updates in writes.updates)
    assert [(row["user_id"], row["folder_id"]) for row in rows["messages"]] == [(ALICE.id, "sent-alice"),
                                                                               (BOB.user_id, "inbox-bob")]
    assert rows["messages"][0]["id"] == sent.id
    assert [row["data"] for row in rows["blob_chunks"]] == [b"1,2"]
    blob_id = rows["blobs"][0]["id"]
    # The sender's attachment row and the copy's share the one content.
    assert [(row["message_id"], row["blob_id"]) for row in rows["attachments"]] == [
        (sent.id, blob_id), (rows["messages"][1]["id"], blob_id)]
    assert [row["recipient"] for row in rows["outbox"]] == ["carol@example.org"]
    assert [row["blob_id"] for row in rows["submission_attachments"]] == [blob_id]


def test_a_send_mail_kept_out_of_sent_items_writes_only_what_the_recipients_get() -> None:
    new = NewAttachment(FILE, "numbers.csv", "text/csv", False, None, b"1,2", {})
    out = Outgoing(ALICE, _sent(), ["bob@contoso.com"], new_files=[new], saved=False)
    rows = _rows(deliveries.writes([out], FOUND, AT, "captured"))
    assert [row["user_id"] for row in rows["messages"]] == [BOB.user_id]
    assert [row["message_id"] for row in rows["attachments"]] == [rows["messages"][0]["id"]]
    assert len(rows["blobs"]) == 1


def test_a_draft_is_rewritten_as_the_sent_message_and_its_attachments_are_not_inserted_again() -> None:
    sent = _sent()
    out = Outgoing(ALICE, sent, ["bob@contoso.com"], [_file("draft-1")], draft_id="draft-1")
    writes = deliveries.writes([out], FOUND, AT, "captured")
    rows = _rows(writes)
    [(table, updates)] = writes.updates
    assert table.name == "messages"
    assert [(row[bulk.OLD_ID], row["id"], row["folder_id"]) for row in updates] == [("draft-1", sent.id, "sent-alice")]
    assert [row["user_id"] for row in rows["messages"]] == [BOB.user_id]
    assert [(row["message_id"], row["blob_id"]) for row in rows["attachments"]] == [
        (rows["messages"][0]["id"], "blob-1")]
    assert rows["blobs"] == []
    # The update and the inserts compile to statements the driver takes as they are.
    statements = writes.statements(sqlite.dialect(paramstyle="qmark"))
    assert statements[0][0].startswith("UPDATE messages SET")


def test_a_recipient_not_found_gets_its_sender_a_report_with_the_original_attached() -> None:
    out = Outgoing(ALICE, _sent(), ["bob@contoso.com", "nobody@contoso.com"])
    rows = _rows(deliveries.writes([out], FOUND, AT, "captured"))
    report = rows["messages"][-1]
    assert (report["user_id"], report["folder_id"], report["subject"]) == (ALICE.id, "inbox-alice",
                                                                           "Undeliverable: Numbers")
    assert [row["message_id"] for row in rows["attachments"]] == [report["id"]]
    assert b"Attached." in rows["blob_chunks"][0]["data"]
    assert rows["outbox"] == []


def test_a_message_over_the_recipient_limit_reaches_no_one_and_reports_it() -> None:
    recipients = ["bob@contoso.com"] + [f"r{n}@example.org" for n in range(recipient_limit.MAX_RECIPIENTS_PER_MESSAGE)]
    sent = _sent()
    rows = _rows(deliveries.writes([Outgoing(ALICE, sent, recipients)], FOUND, AT, "captured"))
    assert [(row["id"], row["folder_id"]) for row in rows["messages"]] == [
        (sent.id, "sent-alice"), (rows["messages"][1]["id"], "inbox-alice")]
    assert rows["messages"][1]["subject"] == "Undeliverable: Numbers"
    assert rows["outbox"] == [] and rows["submissions"] == []

