"""A recipient in an accepted domain that is no user (nobody@contoso.test): Exchange Online answers
it with a non-delivery report (550 5.1.10 RecipientNotFound) in the sender's Inbox, and it is never
queued for the relay. The send itself is accepted and reaches every other recipient."""

from __future__ import annotations

from typing import Any

import pytest

from graphpost.store import outbox
from graphpost.store.database import Database
from tests.api.mail_helpers import (ALICE, BOB, ITEM_ATTACHMENT, Mailbox, addresses, file_attachment, parse_mime,
                                    recipients)

NOBODY = "nobody@contoso.test"
EXTERNAL = "erin@example.org"
NOT_FOUND = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"


async def queued(db: Database) -> list[str]:
    async with db.read() as conn:
        return sorted(entry.recipient.lower() for entry in await outbox.entries(conn))


async def assert_reported(sender: Mailbox, subject: str, *not_found: str) -> dict[str, Any]:
    """The sender's Inbox holds one report, from the postmaster, naming each address not found
    with Exchange's answer, with the original message attached."""
    [report] = await sender.messages_in("inbox")
    assert report["subject"] == f"Undeliverable: {subject}"
    assert report["isRead"] is False and report["hasAttachments"] is True
    assert addresses([report["from"]]) == ["postmaster@contoso.test"]
    assert addresses(report["toRecipients"]) == [ALICE]
    body = (await sender.message(report["id"]))["body"]["content"]
    assert body.count(NOT_FOUND) == len(not_found), body
    for address in not_found:
        assert address in body, body
    [attached] = await sender.attachments(report["id"])
    assert attached["@odata.type"] == ITEM_ATTACHMENT and attached["name"] == subject
    [sent] = await sender.messages_in("sentitems")
    original = parse_mime(await sender.attachment_value(report["id"], attached["id"]))
    assert original["Message-ID"] == sent["internetMessageId"] and original["Subject"] == subject
    return report


async def test_send_of_a_draft_to_nobody_in_our_domain_reports_it_and_delivers_the_rest(
        alice: Mailbox, bob: Mailbox, db: Database) -> None:
    draft = await alice.create_draft(subject="Roll call", toRecipients=recipients(BOB, NOBODY),
                                     ccRecipients=recipients(EXTERNAL))
    response = await alice.send(draft["id"])
    assert response.status_code == 202, response.text
    assert await bob.counts("inbox") == (1, 1)
    assert await queued(db) == [EXTERNAL]
    assert await alice.counts("sentitems") == (1, 0)
    await assert_reported(alice, "Roll call", NOBODY)


@pytest.mark.parametrize("with_file", [False, True], ids=["plain", "with-a-file"])
async def test_send_mail_to_nobody_in_our_domain_reports_it_and_queues_nothing_for_it(
        alice: Mailbox, bob: Mailbox, db: Database, with_file: bool) -> None:
    message: dict[str, Any] = {"subject": "Roll call", "toRecipients": recipients(NOBODY, BOB),
                               "bccRecipients": recipients("Ghost@Contoso.Test")}
    if with_file:
        message["attachments"] = [file_attachment("notes.txt", b"the notes")]
    response = await alice.send_mail(message)
    assert response.status_code == 202, response.text
    assert await bob.counts("inbox") == (1, 1)
    assert await queued(db) == []
    await assert_reported(alice, "Roll call", NOBODY, "Ghost@Contoso.Test")


async def test_send_mail_with_mime_to_nobody_in_our_domain_reports_it(alice: Mailbox, db: Database) -> None:
    raw = (f"From: {ALICE}\r\nTo: {NOBODY}\r\nSubject: Roll call\r\nMIME-Version: 1.0\r\n\r\nAnyone?\r\n").encode()
    response = await alice.post_mime("sendMail", raw)
    assert response.status_code == 202, response.text
    assert await queued(db) == []
    await assert_reported(alice, "Roll call", NOBODY)


async def test_a_reply_to_nobody_in_our_domain_is_reported(alice: Mailbox, bob: Mailbox, db: Database) -> None:
    response = await bob.send_mail({"subject": "Question", "toRecipients": recipients(ALICE),
                                    "replyTo": recipients(NOBODY)}, saveToSentItems=False)
    assert response.status_code == 202, response.text
    [question] = await alice.messages_in("inbox")
    response = await alice.post(f"messages/{question['id']}/reply", json={"comment": "Answer"})
    assert response.status_code == 202, response.text
    assert await queued(db) == []
    [report] = [item for item in await alice.messages_in("inbox") if item["subject"].startswith("Undeliverable")]
    assert report["subject"] == "Undeliverable: RE: Question"
    assert NOBODY in (await alice.message(report["id"]))["body"]["content"]


async def test_a_forward_to_nobody_in_our_domain_is_reported(alice: Mailbox, bob: Mailbox, db: Database) -> None:
    draft = await alice.create_draft(subject="Minutes", toRecipients=recipients(BOB))
    assert (await alice.send(draft["id"])).status_code == 202
    [sent] = await alice.messages_in("sentitems")
    response = await alice.post(f"messages/{sent['id']}/forward",
                                json={"comment": "FYI", "toRecipients": recipients(NOBODY, EXTERNAL)})
    assert response.status_code == 202, response.text
    assert await queued(db) == [EXTERNAL]
    [report] = await alice.messages_in("inbox")
    assert report["subject"] == "Undeliverable: FW: Minutes"
    assert NOBODY in (await alice.message(report["id"]))["body"]["content"]
