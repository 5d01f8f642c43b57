"""Moving and copying messages (`…/messages/{id}/move|copy`), and the ids that do or do not
survive it: default ids change with a move, immutable ids (Prefer: IdType="ImmutableId") never."""

from __future__ import annotations

import httpx
import pytest

from tests.api.assertions import assert_graph_error
from tests.api.test_folders import unknown_folder_id
from tests.api.mail_helpers import ALICE, BOB, MAILBOX_PATHS, MESSAGE_KEYS, Mailbox, delegated, file_attachment, \
    mailbox_via, recipients
from tests.tokens import TokenMint

IMMUTABLE = {"Prefer": 'IdType="ImmutableId"'}


async def _received(alice: Mailbox, bob: Mailbox, subject: str = "Quarterly numbers") -> dict:
    response = await alice.send_mail({"subject": subject, "body": {"contentType": "text", "content": "See inside."},
                                      "toRecipients": recipients(BOB)})
    assert response.status_code == 202, response.text
    [message] = [m for m in await bob.messages_in("inbox") if m["subject"] == subject]
    return message


@pytest.mark.parametrize("via", MAILBOX_PATHS)
async def test_move_puts_the_message_in_the_destination_with_a_new_id(
        client: httpx.AsyncClient, tokens: TokenMint, via: str) -> None:
    alice = await mailbox_via(client, tokens, via)
    bob = await delegated(client, tokens, BOB)
    draft = await alice.create_draft(subject="Plan", toRecipients=recipients(BOB))
    archive = await alice.folder("archive")
    response = await alice.post(f"messages/{draft['id']}/move", json={"destinationId": "archive"})
    assert response.status_code == 201, response.text
    moved = response.json()
    assert set(moved) == MESSAGE_KEYS
    assert moved["parentFolderId"] == archive["id"]
    assert moved["id"] != draft["id"] and moved["changeKey"] != draft["changeKey"]
    assert moved["subject"] == "Plan" and moved["isDraft"] is True
    assert moved["createdDateTime"] == draft["createdDateTime"]
    assert_graph_error(await alice.get(f"messages/{draft['id']}"), 404, "ErrorItemNotFound")
    assert (await alice.message(moved["id"]))["parentFolderId"] == archive["id"]
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("archive") == (1, 0)
    assert await bob.counts("inbox") == (0, 0)


async def test_move_takes_a_folder_id_and_keeps_unread_counts_true(alice: Mailbox, bob: Mailbox) -> None:
    received = await _received(alice, bob)
    junk = await bob.folder("junkemail")
    response = await bob.post(f"messages/{received['id']}/move", json={"DestinationId": junk["id"]})
    assert response.status_code == 201, response.text
    assert response.json()["isRead"] is False
    assert await bob.counts("inbox") == (0, 0)
    assert await bob.counts("junkemail") == (1, 1)


async def test_copy_makes_a_second_message_with_its_own_ids_and_attachments(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Slides", toRecipients=recipients(BOB))
    attachment = await alice.add_attachment(draft["id"], file_attachment("deck.pdf", b"%PDF-1.7 slides"))
    before = await alice.message(draft["id"])
    original_immutable = (await alice.get(f"messages/{draft['id']}", headers=IMMUTABLE)).json()["id"]
    response = await alice.post(f"messages/{draft['id']}/copy", json={"destinationId": "archive"},
                                headers=IMMUTABLE)
    assert response.status_code == 201, response.text
    copied = response.json()
    assert copied["id"] != original_immutable
    assert copied["parentFolderId"] == (await alice.folder("archive"))["id"]
    assert copied["subject"] == "Slides" and copied["hasAttachments"] is True
    # The original is untouched, still a draft in Drafts with its id.
    original = await alice.message(draft["id"])
    assert original["parentFolderId"] == before["parentFolderId"] and original["changeKey"] == before["changeKey"]
    [copied_attachment] = await alice.attachments(copied["id"])
    assert copied_attachment["id"] != attachment["id"]
    assert await alice.attachment_value(copied["id"], copied_attachment["id"]) == b"%PDF-1.7 slides"
    # Deleting the copy leaves the original's attachment readable (the content is shared, not moved).
    assert (await alice.delete(f"messages/{copied['id']}")).status_code == 204
    assert await alice.attachment_value(draft["id"], attachment["id"]) == b"%PDF-1.7 slides"
    assert await alice.counts("drafts") == (1, 0)
    assert await alice.counts("archive") == (0, 0)


async def test_attachments_follow_a_moved_message(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Invoice", toRecipients=recipients(BOB))
    attachment = await alice.add_attachment(draft["id"], file_attachment("invoice.txt", b"42 EUR"))
    moved = (await alice.post(f"messages/{draft['id']}/move", json={"destinationId": "inbox"})).json()
    assert await alice.attachment_value(moved["id"], attachment["id"]) == b"42 EUR"


async def test_immutable_id_survives_moves_and_sending(alice: Mailbox, bob: Mailbox) -> None:
    created = await alice.post("messages", json={"subject": "Keep my id", "toRecipients": recipients(BOB)},
                               headers=IMMUTABLE)
    assert created.status_code == 201, created.text
    immutable = created.json()["id"]
    assert immutable.startswith("AAkALg")
    moved = await alice.post(f"messages/{immutable}/move", json={"destinationId": "archive"}, headers=IMMUTABLE)
    assert moved.status_code == 201, moved.text
    assert moved.json()["id"] == immutable
    back = await alice.post(f"messages/{immutable}/move", json={"destinationId": "drafts"}, headers=IMMUTABLE)
    assert back.json()["id"] == immutable
    # As Graph's docs describe: send with the immutable id, then read the Sent Items copy by it.
    assert (await alice.send(immutable)).status_code == 202
    sent = await alice.get(f"messages/{immutable}", headers=IMMUTABLE)
    assert sent.status_code == 200, sent.text
    assert sent.json()["id"] == immutable and sent.json()["isDraft"] is False
    assert sent.json()["parentFolderId"] == (await alice.folder("sentitems"))["id"]
    # Without the header the same message answers with its default id, which is not the immutable one.
    default = await alice.get(f"messages/{immutable}")
    assert default.status_code == 200 and default.json()["id"] != immutable
    assert not default.json()["id"].startswith("AAkALg")
    listed = await alice.get("mailFolders/sentitems/messages", headers=IMMUTABLE)
    assert [message["id"] for message in listed.json()["value"]] == [immutable]
    # A deleted message no longer answers by its immutable id either.
    assert (await alice.delete(f"messages/{immutable}")).status_code == 204
    assert_graph_error(await alice.get(f"messages/{immutable}", headers=IMMUTABLE), 404, "ErrorItemNotFound")


async def test_immutable_ids_never_reach_another_mailbox(alice: Mailbox, bob: Mailbox) -> None:
    created = await alice.post("messages", json={"subject": "Mine"}, headers=IMMUTABLE)
    immutable = created.json()["id"]
    assert_graph_error(await bob.get(f"messages/{immutable}", headers=IMMUTABLE), 404, "ErrorItemNotFound")
    assert_graph_error(await bob.post(f"messages/{immutable}/move", json={"destinationId": "inbox"}),
                       404, "ErrorItemNotFound")


@pytest.mark.parametrize("action", ["move", "copy"])
async def test_move_and_copy_refuse_a_missing_or_unknown_destination(alice: Mailbox, action: str) -> None:
    draft = await alice.create_draft(subject="Nowhere")
    assert_graph_error(await alice.post(f"messages/{draft['id']}/{action}", json={}), 400, "ErrorInvalidParameter")
    assert_graph_error(await alice.post(f"messages/{draft['id']}/{action}", json={"destinationId": ""}),
                       400, "ErrorInvalidParameter")
    assert_graph_error(await alice.post(f"messages/{draft['id']}/{action}", json={"destinationId": "nosuchfolder"}),
                       400, "ErrorInvalidIdMalformed")
    unknown = unknown_folder_id()
    assert_graph_error(await alice.post(f"messages/{draft['id']}/{action}", json={"destinationId": unknown}),
                       404, "ErrorItemNotFound")
    assert_graph_error(await alice.post(f"messages/{draft['id']}/{action}", content=b"{not json",
                                        headers={"Content-Type": "application/json"}), 400, "RequestBodyRead")
    assert await alice.counts("drafts") == (1, 0)


async def test_move_needs_mail_readwrite(client: httpx.AsyncClient, tokens: TokenMint, alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Read only")
    reader = await delegated(client, tokens, ALICE, scopes=("Mail.Read",))
    assert_graph_error(await reader.post(f"messages/{draft['id']}/move", json={"destinationId": "archive"}),
                       403, "ErrorAccessDenied")
    assert await alice.counts("drafts") == (1, 0)
