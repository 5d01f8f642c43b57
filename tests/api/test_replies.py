"""Reply, reply-all and forward: `createReply|createReplyAll|createForward` (201, a draft) and
`reply|replyAll|forward` (202, sent at once), their recipients, subjects, quoted bodies and threads."""

import base64
import html
import re
from typing import Any

import httpx
import pytest

from graphpost.store import outbox
from graphpost.store.database import Database
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import (ALICE, BOB, CAROL, Mailbox, addresses, assert_error_status, content_of, delegated,
                                    file_attachment, parse_mime, recipients)
from tests.tokens import TokenMint

ERIN = "erin@example.org"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n"
QUESTION = "<p>Can you check the numbers?</p>"
ACTIONS = ["createReply", "createReplyAll", "createForward", "reply", "replyAll", "forward"]


async def received(sender: Mailbox, recipient: Mailbox, subject: str = "Numbers", **message: Any) -> dict[str, Any]:
    """Send a message and return the recipient's copy of it."""
    message.setdefault("toRecipients", recipients(ALICE))
    message.setdefault("body", {"contentType": "html", "content": QUESTION})
    response = await sender.send_mail({"subject": subject, **message})
    assert response.status_code == 202, response.text
    [copy] = [item for item in await recipient.messages_in("inbox") if item["subject"] == subject]
    return copy


async def original_from_bob(alice: Mailbox, bob: Mailbox, **message: Any) -> dict[str, Any]:
    return await received(bob, alice, **message)


def index_bytes(message: dict[str, Any]) -> bytes:
    return base64.b64decode(message["conversationIndex"])


def text_of(body: dict[str, Any]) -> str:
    """A body's text with the markup taken out, lines joined by newlines."""
    content = re.sub(r"<br\s*/?>", "\n", body["content"])
    return html.unescape(re.sub(r"<[^>]+>", "", content))


def header_block(body: dict[str, Any]) -> dict[str, str]:
    """The quoted original's header block (From, Sent, To, Cc, Subject) as label → value."""
    found: dict[str, str] = {}
    for line in text_of(body).splitlines():
        match = re.match(r"\s*(From|Sent|To|Cc|Subject):\s*(.*)", line)
        if match and match.group(1) not in found:
            found[match.group(1)] = match.group(2).strip()
    return found


async def captured(db: Database) -> list[str]:
    async with db.read() as conn:
        return [entry.recipient.lower() for entry in await outbox.entries(conn)]


# --- createReply, createReplyAll, createForward ----------------------------------------------------

async def test_create_reply_drafts_a_reply_to_the_sender_quoting_the_original(alice: Mailbox, bob: Mailbox) -> None:
    original = await original_from_bob(alice, bob, ccRecipients=recipients(BOB))
    response = await alice.post(f"messages/{original['id']}/createReply", json={"comment": "Checked, all fine."})
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["@odata.context"].endswith("/messages/$entity")
    assert draft["isDraft"] is True and draft["id"] != original["id"]
    assert draft["subject"] == "RE: Numbers"
    assert addresses(draft["toRecipients"]) == [BOB]
    assert draft["ccRecipients"] == [] and draft["bccRecipients"] == []
    assert draft["hasAttachments"] is False
    assert draft["conversationId"] == original["conversationId"]
    assert draft["internetMessageId"] != original["internetMessageId"]
    index, parent = index_bytes(draft), index_bytes(original)
    assert len(parent) == 22 and len(index) == 27 and index[:22] == parent
    drafts = await alice.folder("drafts")
    assert draft["parentFolderId"] == drafts["id"]
    assert await alice.counts("drafts") == (1, 0)
    assert await alice.counts("inbox") == (1, 1)

    body = draft["body"]
    assert body["contentType"] == "html"
    assert QUESTION in body["content"]
    text = text_of(body)
    assert text.index("Checked, all fine.") < text.index("From:") < text.index("Can you check the numbers?")
    block = header_block(body)
    assert list(block) == ["From", "Sent", "To", "Cc", "Subject"]
    assert BOB in block["From"] and block["Subject"] == "Numbers"
    assert block["Sent"]


async def test_create_reply_all_addresses_the_sender_and_every_recipient_but_me(alice: Mailbox, bob: Mailbox,
                                                                               carol: Mailbox) -> None:
    original = await original_from_bob(alice, bob, toRecipients=recipients(ALICE, CAROL),
                                       ccRecipients=recipients(ERIN, ALICE.upper()))
    response = await alice.post(f"messages/{original['id']}/createReplyAll")
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["subject"] == "RE: Numbers"
    assert addresses(draft["toRecipients"]) == [BOB, CAROL]
    assert addresses(draft["ccRecipients"]) == [ERIN]
    assert draft["bccRecipients"] == []
    assert draft["conversationId"] == original["conversationId"]
    assert await alice.counts("drafts") == (1, 0)


async def test_create_forward_drafts_a_forward_without_recipients_carrying_the_attachments(alice: Mailbox,
                                                                                          bob: Mailbox) -> None:
    original = await original_from_bob(alice, bob, attachments=[file_attachment("report.pdf", PDF,
                                                                                "application/pdf")])
    response = await alice.post(f"messages/{original['id']}/createForward", json={"comment": "FYI"})
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["subject"] == "FW: Numbers"
    assert (draft["toRecipients"], draft["ccRecipients"], draft["bccRecipients"]) == ([], [], [])
    assert draft["isDraft"] is True and draft["hasAttachments"] is True
    assert draft["conversationId"] == original["conversationId"]
    assert QUESTION in draft["body"]["content"] and "FYI" in text_of(draft["body"])
    [attachment] = await alice.attachments(draft["id"])
    assert (attachment["name"], attachment["contentType"], content_of(attachment)) == ("report.pdf",
                                                                                       "application/pdf", PDF)
    assert await alice.counts("drafts") == (1, 0)


@pytest.mark.parametrize("body", [
    pytest.param({"ToRecipients": recipients(CAROL)}, id="parameter"),
    pytest.param({"message": {"toRecipients": recipients(CAROL)}}, id="in-message"),
])
async def test_create_forward_takes_its_recipients(alice: Mailbox, bob: Mailbox, carol: Mailbox,
                                                   body: dict) -> None:
    original = await original_from_bob(alice, bob)
    response = await alice.post(f"messages/{original['id']}/createForward", json=body)
    assert response.status_code == 201, response.text
    draft = response.json()
    assert addresses(draft["toRecipients"]) == [CAROL] and draft["subject"] == "FW: Numbers"
    assert (await alice.send(draft["id"])).status_code == 202
    assert (await carol.only_message_in("inbox"))["subject"] == "FW: Numbers"


@pytest.mark.parametrize("body", [
    pytest.param({"toRecipients": recipients(CAROL)}, id="parameter"),
    pytest.param({"message": {"toRecipients": recipients(CAROL)}}, id="in-message"),
])
async def test_forward_takes_its_recipients_as_a_parameter_or_in_the_message(alice: Mailbox, bob: Mailbox,
                                                                             carol: Mailbox, body: dict) -> None:
    original = await original_from_bob(alice, bob)
    response = await alice.post(f"messages/{original['id']}/forward", json=body)
    assert response.status_code == 202, response.text
    forwarded = await carol.only_message_in("inbox")
    assert forwarded["subject"] == "FW: Numbers" and addresses(forwarded["toRecipients"]) == [CAROL]
    assert await alice.counts("drafts") == (0, 0)


async def test_a_reply_draft_does_not_carry_the_originals_attachments(alice: Mailbox, bob: Mailbox) -> None:
    original = await original_from_bob(alice, bob, attachments=[file_attachment("report.pdf", PDF,
                                                                                "application/pdf")])
    draft = (await alice.post(f"messages/{original['id']}/createReply")).json()
    assert draft["hasAttachments"] is False
    assert await alice.attachments(draft["id"]) == []


@pytest.mark.parametrize("action, subject, expected", [
    ("createReply", "Budget", "RE: Budget"),
    ("createReply", "RE: Budget", "RE: Budget"),
    ("createReply", "Re: Budget", "RE: Budget"),
    ("createReplyAll", "RE: Budget", "RE: Budget"),
    ("createReply", "FW: Budget", "RE: FW: Budget"),
    ("createForward", "FW: Budget", "FW: Budget"),
    ("createForward", "RE: Budget", "FW: RE: Budget"),
])
async def test_the_subject_prefix_is_never_doubled(alice: Mailbox, bob: Mailbox, action: str, subject: str,
                                                   expected: str) -> None:
    original = await received(bob, alice, subject)
    response = await alice.post(f"messages/{original['id']}/{action}")
    assert response.status_code == 201, response.text
    assert response.json()["subject"] == expected


async def test_parameters_in_kiota_casing_are_taken(alice: Mailbox, bob: Mailbox, carol: Mailbox) -> None:
    original = await original_from_bob(alice, bob)
    response = await alice.post(f"messages/{original['id']}/createReply",
                                json={"Comment": "Kiota says hi", "Message": {"ccRecipients": recipients(CAROL)}})
    assert response.status_code == 201, response.text
    draft = response.json()
    assert "Kiota says hi" in text_of(draft["body"])
    assert addresses(draft["toRecipients"]) == [BOB] and addresses(draft["ccRecipients"]) == [CAROL]
    response = await alice.post(f"messages/{original['id']}/forward",
                                json={"Comment": "Have a look", "ToRecipients": recipients(CAROL)})
    assert response.status_code == 202, response.text
    forwarded = await carol.only_message_in("inbox")
    assert forwarded["subject"] == "FW: Numbers" and "Have a look" in text_of(forwarded["body"])


async def test_message_properties_given_with_create_reply_are_laid_over_the_draft(alice: Mailbox,
                                                                                   bob: Mailbox) -> None:
    original = await original_from_bob(alice, bob)
    response = await alice.post(f"messages/{original['id']}/createReply", json={"message": {
        "ccRecipients": recipients(ERIN), "importance": "high", "categories": ["Finance"]}})
    assert response.status_code == 201, response.text
    draft = response.json()
    assert addresses(draft["toRecipients"]) == [BOB] and addresses(draft["ccRecipients"]) == [ERIN]
    assert (draft["importance"], draft["categories"]) == ("high", ["Finance"])
    assert QUESTION in draft["body"]["content"]


async def test_a_reply_draft_is_sent_with_send(alice: Mailbox, bob: Mailbox) -> None:
    original = await original_from_bob(alice, bob)
    draft = (await alice.post(f"messages/{original['id']}/createReply", json={"comment": "Done."})).json()
    response = await alice.send(draft["id"])
    assert response.status_code == 202, response.text
    assert_graph_error(await alice.get(f"messages/{draft['id']}"), 404, "ErrorItemNotFound")
    assert await alice.counts("drafts") == (0, 0)
    sent = await alice.only_message_in("sentitems")
    assert sent["subject"] == "RE: Numbers" and sent["conversationId"] == original["conversationId"]
    reply = await bob.only_message_in("inbox")
    assert reply["subject"] == "RE: Numbers" and addresses([reply["from"]]) == [ALICE]
    assert reply["conversationId"] == original["conversationId"]
    assert reply["conversationIndex"] == sent["conversationIndex"] == draft["conversationIndex"]
    assert "Done." in text_of(reply["body"])


# --- reply, replyAll, forward ----------------------------------------------------------------------

async def test_reply_sends_at_once_to_the_original_sender(alice: Mailbox, bob: Mailbox) -> None:
    original = await original_from_bob(alice, bob)
    response = await alice.post(f"messages/{original['id']}/reply", json={"comment": "Thanks!"})
    assert response.status_code == 202, response.text
    assert response.content == b""
    assert await bob.counts("inbox") == (1, 1)
    reply = await bob.only_message_in("inbox")
    assert reply["subject"] == "RE: Numbers" and reply["isDraft"] is False
    assert addresses([reply["from"]]) == [ALICE] and addresses(reply["toRecipients"]) == [BOB]
    assert reply["conversationId"] == original["conversationId"]
    assert "Thanks!" in text_of(reply["body"]) and QUESTION in reply["body"]["content"]
    assert await alice.counts("sentitems") == (1, 0)
    sent = await alice.only_message_in("sentitems")
    assert sent["subject"] == "RE: Numbers" and sent["internetMessageId"] == reply["internetMessageId"]
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("inbox") == (1, 1)


async def test_reply_all_sends_to_the_sender_and_every_other_recipient(alice: Mailbox, bob: Mailbox,
                                                                       carol: Mailbox, db: Database) -> None:
    original = await original_from_bob(alice, bob, toRecipients=recipients(ALICE, CAROL),
                                       ccRecipients=recipients(ERIN))
    response = await alice.post(f"messages/{original['id']}/replyAll", json={"comment": "All good."})
    assert response.status_code == 202, response.text
    reply = await bob.only_message_in("inbox")
    assert reply["subject"] == "RE: Numbers"
    assert addresses(reply["toRecipients"]) == [BOB, CAROL] and addresses(reply["ccRecipients"]) == [ERIN]
    carols = [item for item in await carol.messages_in("inbox") if item["subject"] == "RE: Numbers"]
    assert len(carols) == 1 and carols[0]["internetMessageId"] == reply["internetMessageId"]
    assert ERIN in await captured(db)
    assert ALICE not in await captured(db)
    assert await alice.counts("inbox") == (1, 1)  # nothing came back to me
    assert await alice.counts("sentitems") == (1, 0)
    assert await alice.counts("drafts") == (0, 0)


async def test_forward_sends_the_original_with_its_attachments_to_the_given_recipients(
        alice: Mailbox, bob: Mailbox, carol: Mailbox) -> None:
    original = await original_from_bob(alice, bob, attachments=[file_attachment("report.pdf", PDF,
                                                                                "application/pdf")])
    response = await alice.post(f"messages/{original['id']}/forward",
                                json={"comment": "See below", "toRecipients": recipients(CAROL)})
    assert response.status_code == 202, response.text
    assert response.content == b""
    forwarded = await carol.only_message_in("inbox")
    assert forwarded["subject"] == "FW: Numbers"
    assert addresses([forwarded["from"]]) == [ALICE] and addresses(forwarded["toRecipients"]) == [CAROL]
    assert forwarded["hasAttachments"] is True
    [attachment] = await carol.attachments(forwarded["id"])
    assert (attachment["name"], content_of(attachment)) == ("report.pdf", PDF)
    assert await carol.attachment_value(forwarded["id"], attachment["id"]) == PDF
    assert "See below" in text_of(forwarded["body"]) and QUESTION in forwarded["body"]["content"]
    sent = await alice.only_message_in("sentitems")
    assert sent["subject"] == "FW: Numbers" and sent["hasAttachments"] is True
    assert [a["name"] for a in await alice.attachments(sent["id"])] == ["report.pdf"]
    assert await alice.counts("drafts") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)


async def test_forward_without_recipients_is_refused_and_leaves_nothing_behind(alice: Mailbox,
                                                                               bob: Mailbox) -> None:
    original = await original_from_bob(alice, bob)
    for body in ({"comment": "to no one"}, {}, {"toRecipients": []}):
        response = await alice.post(f"messages/{original['id']}/forward", json=body)
        assert_graph_error(response, 400, "ErrorInvalidRecipients")
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("sentitems") == (0, 0)


@pytest.mark.parametrize("action", ["createReply", "reply", "createForward"])
async def test_a_comment_and_a_message_body_together_are_refused(alice: Mailbox, bob: Mailbox, action: str) -> None:
    original = await original_from_bob(alice, bob)
    response = await alice.post(f"messages/{original['id']}/{action}", json={
        "comment": "Thanks", "message": {"body": {"contentType": "text", "content": "Thanks too"}}})
    assert_error_status(response, 400)
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)


async def test_a_message_body_alone_replaces_the_quoted_one(alice: Mailbox, bob: Mailbox) -> None:
    original = await original_from_bob(alice, bob)
    response = await alice.post(f"messages/{original['id']}/createReply", json={
        "message": {"body": {"contentType": "text", "content": "Only this."}}})
    assert response.status_code == 201, response.text
    assert response.json()["body"] == {"contentType": "text", "content": "Only this."}


@pytest.mark.parametrize("action", ACTIONS)
async def test_an_unknown_message_cannot_be_replied_to(alice: Mailbox, bob: Mailbox, action: str) -> None:
    original = await original_from_bob(alice, bob)
    assert (await alice.delete(f"messages/{original['id']}")).status_code == 204
    body = {"toRecipients": recipients(BOB)} if action == "forward" else {}
    assert_graph_error(await alice.post(f"messages/{original['id']}/{action}", json=body), 404, "ErrorItemNotFound")
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("sentitems") == (0, 0)


async def test_a_message_in_another_mailbox_cannot_be_replied_to(alice: Mailbox, bob: Mailbox) -> None:
    theirs = await received(alice, bob, toRecipients=recipients(BOB))
    assert_graph_error(await alice.post(f"messages/{theirs['id']}/createReply"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.post(f"messages/{theirs['id']}/reply", json={"comment": "x"}), 404,
                       "ErrorItemNotFound")
    assert await alice.counts("drafts") == (0, 0)


# --- threading -------------------------------------------------------------------------------------

async def test_a_sent_reply_names_the_original_in_in_reply_to_and_references(alice: Mailbox, bob: Mailbox) -> None:
    original = await original_from_bob(alice, bob)
    assert (await alice.post(f"messages/{original['id']}/reply", json={"comment": "Yes"})).status_code == 202
    sent = await alice.only_message_in("sentitems")
    reply = await bob.only_message_in("inbox")
    for mailbox, message in ((alice, sent), (bob, reply)):
        mime = parse_mime(await mailbox.mime(message["id"]))
        assert mime["In-Reply-To"] == original["internetMessageId"]
        assert str(mime["References"]).split() == [original["internetMessageId"]]
        assert mime["Subject"] == "RE: Numbers"
        assert mime["Message-ID"] == sent["internetMessageId"]


async def test_a_reply_to_a_reply_continues_the_thread(alice: Mailbox, bob: Mailbox) -> None:
    original = await original_from_bob(alice, bob)
    assert (await alice.post(f"messages/{original['id']}/reply", json={"comment": "Yes"})).status_code == 202
    first_reply = await bob.only_message_in("inbox")
    response = await bob.post(f"messages/{first_reply['id']}/createReply", json={"comment": "Good"})
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["subject"] == "RE: Numbers"
    assert addresses(draft["toRecipients"]) == [ALICE]
    assert draft["conversationId"] == original["conversationId"]
    index = index_bytes(draft)
    assert len(index) == 32 and index[:27] == index_bytes(first_reply)
    mime = parse_mime(await bob.mime(draft["id"]))
    assert mime["In-Reply-To"] == first_reply["internetMessageId"]
    assert str(mime["References"]).split() == [original["internetMessageId"], first_reply["internetMessageId"]]


async def test_a_forward_also_names_the_original(alice: Mailbox, bob: Mailbox, carol: Mailbox) -> None:
    original = await original_from_bob(alice, bob)
    response = await alice.post(f"messages/{original['id']}/forward", json={"toRecipients": recipients(CAROL)})
    assert response.status_code == 202, response.text
    forwarded = await carol.only_message_in("inbox")
    assert forwarded["conversationId"] == original["conversationId"]
    mime = parse_mime(await carol.mime(forwarded["id"]))
    assert mime["In-Reply-To"] == original["internetMessageId"]


# --- permissions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("scopes", [("Mail.Read",), ("Mail.Send",)])
async def test_create_reply_needs_mail_read_write(client: httpx.AsyncClient, tokens: TokenMint, alice: Mailbox,
                                                  bob: Mailbox, scopes: tuple[str, ...]) -> None:
    original = await original_from_bob(alice, bob)
    other = await delegated(client, tokens, ALICE, scopes=scopes)
    for action in ("createReply", "createReplyAll", "createForward"):
        assert_graph_error(await other.post(f"messages/{original['id']}/{action}"), 403, "ErrorAccessDenied")
    assert await alice.counts("drafts") == (0, 0)


async def test_reply_needs_mail_send(client: httpx.AsyncClient, tokens: TokenMint, alice: Mailbox,
                                     bob: Mailbox) -> None:
    original = await original_from_bob(alice, bob)
    writer = await delegated(client, tokens, ALICE, scopes=("Mail.ReadWrite",))
    for action, body in (("reply", {}), ("replyAll", {}), ("forward", {"toRecipients": recipients(BOB)})):
        assert_graph_error(await writer.post(f"messages/{original['id']}/{action}", json=body), 403,
                           "ErrorAccessDenied")
    assert await bob.counts("inbox") == (0, 0)
    assert await alice.counts("drafts") == (0, 0)
    sender = await delegated(client, tokens, ALICE, scopes=("Mail.Send",))
    response = await sender.post(f"messages/{original['id']}/reply", json={"comment": "Sent with Mail.Send"})
    assert response.status_code == 202, response.text
    assert await bob.counts("inbox") == (1, 1)
