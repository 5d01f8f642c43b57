"""Exchange Online's 500 recipients per message (To, Cc and Bcc together): a send over the limit is
accepted (202), stays in Sent Items, reaches no one (no Inbox copy, nothing queued for the relay)
and comes back to the sender as a non-delivery report (graphpost/mail/recipient_limit.py)."""

from __future__ import annotations

from typing import Any

from graphpost.mail.recipient_limit import DIAGNOSTIC, MAX_RECIPIENTS_PER_MESSAGE
from graphpost.store import outbox
from graphpost.store.database import Database
from tests.api.mail_helpers import ALICE, BOB, Mailbox, addresses, recipients


def external(count: int) -> list[str]:
    return [f"reader{n}@example.com" for n in range(count)]


async def queued(db: Database) -> int:
    async with db.read() as conn:
        return len(await outbox.entries(conn))


async def assert_reported(sender: Mailbox, subject: str, count: int) -> None:
    """The sender's Inbox holds one NDR for the message, and nothing else."""
    [report] = await sender.messages_in("inbox")
    assert report["subject"] == f"Undeliverable: {subject}"
    assert report["isRead"] is False and report["hasAttachments"] is False
    assert addresses([report["from"]]) == ["postmaster@contoso.test"]
    body = (await sender.message(report["id"]))["body"]["content"]
    assert f"The limit is {MAX_RECIPIENTS_PER_MESSAGE}. This message has {count} recipients." in body, body
    assert DIAGNOSTIC in body


async def send_mail(mailbox: Mailbox, subject: str, **message: Any) -> None:
    response = await mailbox.send_mail({"subject": subject, "body": {"contentType": "text", "content": "Friday"},
                                        **message})
    assert response.status_code == 202, response.text


async def test_send_mail_over_the_limit_reaches_no_one_and_the_sender_gets_a_report(
        alice: Mailbox, bob: Mailbox, db: Database) -> None:
    await send_mail(alice, "All hands", toRecipients=recipients(BOB, *external(MAX_RECIPIENTS_PER_MESSAGE)))

    [sent] = await alice.messages_in("sentitems")
    assert sent["subject"] == "All hands" and len(sent["toRecipients"]) == MAX_RECIPIENTS_PER_MESSAGE + 1
    assert await bob.counts("inbox") == (0, 0)
    assert await queued(db) == 0
    await assert_reported(alice, "All hands", MAX_RECIPIENTS_PER_MESSAGE + 1)


async def test_send_mail_at_the_limit_is_delivered(alice: Mailbox, bob: Mailbox, db: Database) -> None:
    await send_mail(alice, "All hands", toRecipients=recipients(BOB, *external(MAX_RECIPIENTS_PER_MESSAGE - 1)))

    assert await bob.counts("inbox") == (1, 1)
    assert await queued(db) == MAX_RECIPIENTS_PER_MESSAGE - 1
    assert await alice.counts("inbox") == (0, 0)


async def test_a_draft_over_the_limit_is_kept_and_its_send_counts_to_cc_and_bcc_together(
        alice: Mailbox, bob: Mailbox, db: Database) -> None:
    everyone = external(MAX_RECIPIENTS_PER_MESSAGE + 1)
    draft = await alice.create_draft(subject="Offsite", toRecipients=recipients(BOB, *everyone[:200]),
                                     ccRecipients=recipients(*everyone[200:400]),
                                     bccRecipients=recipients(*everyone[400:]))
    assert (await alice.message(draft["id"]))["isDraft"] is True

    assert (await alice.send(draft["id"])).status_code == 202
    assert await alice.counts("drafts") == (0, 0)
    [sent] = await alice.messages_in("sentitems")
    assert sent["subject"] == "Offsite"
    assert await bob.counts("inbox") == (0, 0)
    assert await queued(db) == 0
    await assert_reported(alice, "Offsite", MAX_RECIPIENTS_PER_MESSAGE + 2)


async def test_a_forward_over_the_limit_reaches_no_one(alice: Mailbox, bob: Mailbox, db: Database) -> None:
    await send_mail(alice, "Minutes", toRecipients=recipients(BOB))
    [received] = await bob.messages_in("inbox")

    response = await bob.post(f"messages/{received['id']}/forward", json={
        "comment": "FYI", "toRecipients": recipients(ALICE, *external(MAX_RECIPIENTS_PER_MESSAGE))})
    assert response.status_code == 202, response.text
    assert await alice.counts("inbox") == (0, 0)
    assert await queued(db) == 0
    [forwarded] = await bob.messages_in("sentitems")
    assert forwarded["subject"] == "FW: Minutes"
    inbox = {item["subject"]: item["id"] for item in await bob.messages_in("inbox")}
    assert inbox.keys() == {"Minutes", "Undeliverable: FW: Minutes"} and inbox["Minutes"] == received["id"]
