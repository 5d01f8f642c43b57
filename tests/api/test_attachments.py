"""Attachments of a message: file, item and reference attachments, their content ($value), the
4 MB request limit, attachments given with a new message or a sendMail, and the copies that sending
and forwarding make."""

import base64
import json
import os
from typing import Any, AsyncIterator

import httpx
import pytest

from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import (ALICE, BOB, CAROL, FILE_ATTACHMENT, FILE_ATTACHMENT_KEYS, ITEM_ATTACHMENT, MESSAGE_KEYS,
                                    REFERENCE_ATTACHMENT, Mailbox, assert_error_status, content_of, delegated, entity,
                                    file_attachment, mailbox_via, parse_mime, recipients)
from tests.tokens import TokenMint

MAX_REQUEST = 4 * 1024 * 1024  # Graph's limit on a whole request body
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
PDF = b"%PDF-1.7\n" + os.urandom(5000) + b"\n%%EOF\n"
# Every attachment has these; a fileAttachment adds its content, beta's referenceAttachment its link.
ATTACHMENT_KEYS = {"@odata.type", "id", "lastModifiedDateTime", "name", "contentType", "size", "isInline"}
BETA_REFERENCE_KEYS = {"sourceUrl", "providerType", "thumbnailUrl", "previewUrl", "permission", "isFolder"}


def summary(attachments: list[dict[str, Any]]) -> list[tuple[str, str, int, bool, bytes]]:
    return [(a["name"], a["contentType"], a["size"], a["isInline"], content_of(a)) for a in attachments]


async def assert_untouched(mailbox: Mailbox, draft: dict[str, Any]) -> None:
    """Nothing was stored on the draft: no attachment, and the message did not change."""
    assert await mailbox.attachments(draft["id"]) == []
    message = await mailbox.message(draft["id"])
    assert message["hasAttachments"] is False
    assert message["changeKey"] == draft["changeKey"]


# --- file attachments ------------------------------------------------------------------------------

@pytest.mark.parametrize("via", ["v1.0/me", "beta/users"])
async def test_a_file_attachment_is_created_with_graphs_properties_and_changes_the_message(
        client: httpx.AsyncClient, tokens: TokenMint, via: str) -> None:
    alice = await mailbox_via(client, tokens, via)
    draft = await alice.create_draft(subject="Report", toRecipients=recipients(BOB))
    assert draft["hasAttachments"] is False
    content = b"region,total\r\nnorth,12\r\nsouth,7\r\n"
    response = await alice.post(f"messages/{draft['id']}/attachments",
                                json=file_attachment("report.csv", content, "text/csv"))
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == FILE_ATTACHMENT_KEYS | {"@odata.context"}
    assert created["@odata.context"].endswith(f"/messages('{draft['id']}')/attachments/$entity")
    assert created["@odata.type"] == FILE_ATTACHMENT
    assert created["@odata.mediaContentType"] == "text/csv"
    assert (created["name"], created["contentType"], created["size"]) == ("report.csv", "text/csv", len(content))
    assert (created["isInline"], created["contentId"], created["contentLocation"]) == (False, None, None)
    assert content_of(created) == content
    assert created["id"] and created["lastModifiedDateTime"].endswith("Z")

    message = await alice.message(draft["id"])
    assert message["hasAttachments"] is True
    assert message["changeKey"] != draft["changeKey"]
    assert message["@odata.etag"] == f'W/"{message["changeKey"]}"'
    assert message["lastModifiedDateTime"] >= draft["lastModifiedDateTime"]
    assert message["id"] == draft["id"] and message["isDraft"] is True
    assert await alice.attachments(draft["id"]) == [entity(created)]
    one = await alice.get(f"messages/{draft['id']}/attachments/{created['id']}")
    assert one.status_code == 200, one.text
    assert one.json() == created
    assert await alice.counts("drafts") == (1, 0)


async def test_an_inline_attachment_alone_leaves_has_attachments_false(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Logo", body={"contentType": "html",
                                                           "content": '<p><img src="cid:logo@contoso"></p>'})
    created = await alice.add_attachment(draft["id"], file_attachment("logo.png", PNG, "image/png", isInline=True,
                                                                      contentId="logo@contoso"))
    assert (created["isInline"], created["contentId"]) == (True, "logo@contoso")
    message = await alice.message(draft["id"])
    # Graph's hasAttachments leaves inline attachments out.
    assert message["hasAttachments"] is False
    assert message["changeKey"] != draft["changeKey"]
    assert await alice.attachments(draft["id"]) == [entity(created)]


async def test_a_file_attachment_next_to_an_inline_one_sets_has_attachments(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Logo and report")
    await alice.add_attachment(draft["id"], file_attachment("logo.png", PNG, "image/png", isInline=True,
                                                            contentId="logo"))
    assert (await alice.message(draft["id"]))["hasAttachments"] is False
    await alice.add_attachment(draft["id"], file_attachment("report.pdf", PDF, "application/pdf"))
    assert (await alice.message(draft["id"]))["hasAttachments"] is True
    assert summary(await alice.attachments(draft["id"])) == [("logo.png", "image/png", len(PNG), True, PNG),
                                                             ("report.pdf", "application/pdf", len(PDF), False, PDF)]


@pytest.mark.parametrize("name, content, content_type", [
    ("logo.png", PNG, "image/png"),
    ("report.pdf", PDF, "application/pdf"),
    # A text file's charset is whatever the file holds: nothing may be added to its type.
    ("names.csv", "Zoë;Jürgen\r\n".encode("latin-1"), "text/csv"),
], ids=["png", "pdf", "latin-1-csv"])
async def test_value_of_a_file_attachment_is_its_raw_bytes_with_its_content_type(
        alice: Mailbox, name: str, content: bytes, content_type: str) -> None:
    draft = await alice.create_draft(subject="Files")
    created = await alice.add_attachment(draft["id"], file_attachment(name, content, content_type))
    response = await alice.get(f"messages/{draft['id']}/attachments/{created['id']}/$value")
    assert response.status_code == 200, response.text
    assert response.content == content
    assert response.headers["content-type"] == content_type
    assert int(response.headers["content-length"]) == len(content)


async def test_attachments_are_listed_in_the_order_they_were_added(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Three files")
    created = [await alice.add_attachment(draft["id"], file_attachment(name, data, kind))
               for name, data, kind in (("a.txt", b"alpha", "text/plain"), ("b.pdf", PDF, "application/pdf"),
                                        ("c.png", PNG, "image/png"))]
    listed = await alice.attachments(draft["id"])
    assert listed == [entity(item) for item in created]
    assert len({item["id"] for item in listed}) == 3
    for item in listed:
        assert set(item) == FILE_ATTACHMENT_KEYS


# --- item and reference attachments ----------------------------------------------------------------

async def test_an_item_attachment_holds_a_message_whose_value_is_its_mime(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="See the minutes", toRecipients=recipients(BOB))
    item = {"@odata.type": "#microsoft.graph.message", "subject": "Minutes of Monday",
            "body": {"contentType": "text", "content": "We agreed on the budget."},
            "from": {"emailAddress": {"name": "Carol", "address": CAROL}}, "toRecipients": recipients(ALICE)}
    response = await alice.post(f"messages/{draft['id']}/attachments",
                                json={"@odata.type": ITEM_ATTACHMENT, "name": "Minutes", "item": item})
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == ATTACHMENT_KEYS | {"@odata.context"}
    assert created["@odata.type"] == ITEM_ATTACHMENT
    assert (created["name"], created["isInline"], created["contentType"]) == ("Minutes", False, None)
    assert created["size"] > 0
    assert await alice.attachments(draft["id"]) == [entity(created)]
    message = await alice.message(draft["id"])
    assert message["hasAttachments"] is True and message["changeKey"] != draft["changeKey"]

    attached = parse_mime(await alice.attachment_value(draft["id"], created["id"]))
    assert attached["Subject"] == "Minutes of Monday"
    assert attached["From"].addresses[0].addr_spec == CAROL
    assert [a.addr_spec for a in attached["To"].addresses] == [ALICE]
    assert attached.get_body(("plain",)).get_content().strip() == "We agreed on the budget."


REFERENCE = {"@odata.type": REFERENCE_ATTACHMENT, "name": "Plan.docx",
             "sourceUrl": "https://contoso.sharepoint.com/sites/team/Plan.docx", "providerType": "oneDriveBusiness",
             "permission": "edit", "isFolder": False}


async def test_a_reference_attachment_carries_its_link_on_beta(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    beta = await delegated(client, tokens, ALICE, "beta")
    draft = await beta.create_draft(subject="The plan")
    response = await beta.post(f"messages/{draft['id']}/attachments", json=REFERENCE)
    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == ATTACHMENT_KEYS | BETA_REFERENCE_KEYS | {"@odata.context"}
    assert created["@odata.type"] == REFERENCE_ATTACHMENT
    assert (created["name"], created["sourceUrl"], created["providerType"], created["permission"],
            created["isFolder"], created["isInline"]) == ("Plan.docx", REFERENCE["sourceUrl"], "oneDriveBusiness",
                                                          "edit", False, False)
    assert await beta.attachments(draft["id"]) == [entity(created)]
    assert (await beta.message(draft["id"]))["changeKey"] != draft["changeKey"]


async def test_a_reference_attachment_read_on_v1_shows_only_v1_properties(client: httpx.AsyncClient,
                                                                           tokens: TokenMint, alice: Mailbox) -> None:
    beta = await delegated(client, tokens, ALICE, "beta")
    draft = await alice.create_draft(subject="The plan")
    created = await beta.add_attachment(draft["id"], REFERENCE)
    # v1.0's referenceAttachment defines no property beyond those of every attachment.
    [listed] = await alice.attachments(draft["id"])
    assert set(listed) == ATTACHMENT_KEYS
    assert (listed["id"], listed["name"], listed["@odata.type"]) == (created["id"], "Plan.docx", REFERENCE_ATTACHMENT)
    one = await alice.get(f"messages/{draft['id']}/attachments/{created['id']}")
    assert one.status_code == 200, one.text
    assert set(one.json()) == ATTACHMENT_KEYS | {"@odata.context"}


# --- delete and unknown ids ------------------------------------------------------------------------

async def test_deleting_the_only_attachment_answers_204_and_clears_has_attachments(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Report")
    created = await alice.add_attachment(draft["id"], file_attachment("report.pdf", PDF, "application/pdf"))
    before = await alice.message(draft["id"])
    assert before["hasAttachments"] is True
    response = await alice.delete(f"messages/{draft['id']}/attachments/{created['id']}")
    assert response.status_code == 204, response.text
    assert response.content == b""
    after = await alice.message(draft["id"])
    assert after["hasAttachments"] is False
    assert after["changeKey"] not in (before["changeKey"], draft["changeKey"])
    assert await alice.attachments(draft["id"]) == []
    for tail in (f"attachments/{created['id']}", f"attachments/{created['id']}/$value"):
        assert_graph_error(await alice.get(f"messages/{draft['id']}/{tail}"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.delete(f"messages/{draft['id']}/attachments/{created['id']}"), 404,
                       "ErrorItemNotFound")
    assert await alice.counts("drafts") == (1, 0)


async def test_deleting_one_of_two_attachments_keeps_the_other(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Two files")
    first = await alice.add_attachment(draft["id"], file_attachment("a.txt", b"alpha", "text/plain"))
    second = await alice.add_attachment(draft["id"], file_attachment("b.pdf", PDF, "application/pdf"))
    response = await alice.delete(f"messages/{draft['id']}/attachments/{first['id']}")
    assert response.status_code == 204, response.text
    assert await alice.attachments(draft["id"]) == [entity(second)]
    assert (await alice.message(draft["id"]))["hasAttachments"] is True
    assert await alice.attachment_value(draft["id"], second["id"]) == PDF


async def test_an_unknown_attachment_id_is_not_found(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Report")
    created = await alice.add_attachment(draft["id"], file_attachment("a.txt", b"alpha", "text/plain"))
    other = await alice.create_draft(subject="Another")
    unknown = created["id"][:-8] + "AAAAAAA="
    for message_id, attachment_id in ((draft["id"], unknown), (other["id"], created["id"])):
        # An id that exists nowhere, and an attachment of another message, alike.
        for tail in (f"attachments/{attachment_id}", f"attachments/{attachment_id}/$value"):
            assert_graph_error(await alice.get(f"messages/{message_id}/{tail}"), 404, "ErrorItemNotFound")
        assert_graph_error(await alice.delete(f"messages/{message_id}/attachments/{attachment_id}"), 404,
                           "ErrorItemNotFound")
    assert await alice.attachments(draft["id"]) == [entity(created)]
    assert await alice.attachments(other["id"]) == []


async def test_attachments_of_a_message_in_another_mailbox_are_not_found(alice: Mailbox, bob: Mailbox) -> None:
    draft = await bob.create_draft(subject="Bob's")
    created = await bob.add_attachment(draft["id"], file_attachment("a.txt", b"alpha", "text/plain"))
    assert_graph_error(await alice.get(f"messages/{draft['id']}/attachments"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.get(f"messages/{draft['id']}/attachments/{created['id']}"), 404,
                       "ErrorItemNotFound")
    response = await alice.post(f"messages/{draft['id']}/attachments", json=file_attachment("x.txt", b"x"))
    assert_graph_error(response, 404, "ErrorItemNotFound")
    assert_graph_error(await alice.delete(f"messages/{draft['id']}/attachments/{created['id']}"), 404,
                       "ErrorItemNotFound")
    assert await bob.attachments(draft["id"]) == [entity(created)]


# --- invalid attachments and the request limit -----------------------------------------------------

@pytest.mark.parametrize("attachment", [
    pytest.param({"name": "a.txt", "contentBytes": base64.b64encode(b"alpha").decode()}, id="no-odata-type"),
    pytest.param({"@odata.type": "#microsoft.graph.message", "name": "a.txt"}, id="not-an-attachment-type"),
    pytest.param({"@odata.type": FILE_ATTACHMENT, "name": "a.txt", "contentBytes": "not base64!"}, id="bad-base64"),
    pytest.param({"@odata.type": FILE_ATTACHMENT, "name": "a.txt", "contentBytes": "YWxwaGE"}, id="unpadded-base64"),
    pytest.param({"@odata.type": FILE_ATTACHMENT, "name": "a.txt", "contentBytes": 12}, id="content-not-a-string"),
])
async def test_an_invalid_attachment_is_refused_and_nothing_is_stored(alice: Mailbox, attachment: dict) -> None:
    draft = await alice.create_draft(subject="Report")
    assert_error_status(await alice.post(f"messages/{draft['id']}/attachments", json=attachment), 400)
    await assert_untouched(alice, draft)


async def test_a_request_body_over_4_mb_is_refused_with_413_before_anything_is_stored(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Too big")
    # 3.2 MB of content is 4.27 MB in base64: the request is over Graph's 4 MB.
    response = await alice.post(f"messages/{draft['id']}/attachments",
                                json=file_attachment("big.bin", os.urandom(3_200_000)))
    assert_graph_error(response, 413, "RequestEntityTooLarge")
    await assert_untouched(alice, draft)


async def test_a_chunked_request_body_over_4_mb_is_cut_off_with_413(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Too big")
    body = json.dumps(file_attachment("big.bin", os.urandom(3_200_000))).encode()

    async def pieces() -> AsyncIterator[bytes]:
        # No Content-Length: the limit is found while the body streams in.
        for start in range(0, len(body), 256 * 1024):
            yield body[start:start + 256 * 1024]

    response = await alice.post(f"messages/{draft['id']}/attachments", content=pieces(),
                                headers={"Content-Type": "application/json"})
    assert_graph_error(response, 413, "RequestEntityTooLarge")
    await assert_untouched(alice, draft)


async def test_a_request_body_of_exactly_4_mb_is_accepted_and_one_byte_more_is_not(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="At the limit")
    content = os.urandom(3_000_000)
    body = json.dumps(file_attachment("edge.bin", content)).encode()
    # JSON allows whitespace before the closing brace: pad the body to the exact size.
    exact = body[:-1] + b" " * (MAX_REQUEST - len(body)) + b"}"
    over = body[:-1] + b" " * (MAX_REQUEST + 1 - len(body)) + b"}"
    assert (len(exact), len(over)) == (MAX_REQUEST, MAX_REQUEST + 1)
    headers = {"Content-Type": "application/json"}
    assert_graph_error(await alice.post(f"messages/{draft['id']}/attachments", content=over, headers=headers), 413,
                       "RequestEntityTooLarge")
    await assert_untouched(alice, draft)
    response = await alice.post(f"messages/{draft['id']}/attachments", content=exact, headers=headers)
    assert response.status_code == 201, response.text
    assert response.json()["size"] == len(content)


async def test_a_file_of_2_9_mb_fits_in_one_request(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Almost 3 MB")
    content = os.urandom(2_900_000)  # 3.87 MB in base64
    created = await alice.add_attachment(draft["id"], file_attachment("scan.bin", content))
    assert created["size"] == len(content)
    assert content_of(created) == content
    assert await alice.attachment_value(draft["id"], created["id"]) == content
    assert (await alice.message(draft["id"]))["hasAttachments"] is True


# --- attachments given with the message ------------------------------------------------------------

async def test_attachments_given_when_a_draft_is_created_are_stored_with_it(alice: Mailbox) -> None:
    draft = await alice.create_draft(
        subject="Photos", body={"contentType": "html", "content": '<p>Logo: <img src="cid:logo"></p>'},
        attachments=[file_attachment("notes.txt", b"alpha", "text/plain"),
                     file_attachment("logo.png", PNG, "image/png", isInline=True, contentId="logo")])
    assert set(draft) == MESSAGE_KEYS  # attachments only come with $expand
    assert draft["hasAttachments"] is True
    listed = await alice.attachments(draft["id"])
    assert summary(listed) == [("notes.txt", "text/plain", 5, False, b"alpha"),
                               ("logo.png", "image/png", len(PNG), True, PNG)]
    assert [item["contentId"] for item in listed] == [None, "logo"]
    assert (await alice.message(draft["id"]))["hasAttachments"] is True


async def test_a_draft_created_with_only_an_inline_attachment_has_no_attachments(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Logo", attachments=[
        file_attachment("logo.png", PNG, "image/png", isInline=True, contentId="logo")])
    assert draft["hasAttachments"] is False
    assert summary(await alice.attachments(draft["id"])) == [("logo.png", "image/png", len(PNG), True, PNG)]


async def test_an_invalid_attachment_in_a_new_draft_creates_nothing(alice: Mailbox) -> None:
    response = await alice.post("messages", json={"subject": "Bad", "attachments": [
        {"@odata.type": FILE_ATTACHMENT, "name": "a.txt", "contentBytes": "not base64!"}]})
    assert_error_status(response, 400)
    assert await alice.counts("drafts") == (0, 0)


async def test_send_mail_with_attachments_delivers_them_and_keeps_them_in_sent_items(alice: Mailbox,
                                                                                     bob: Mailbox) -> None:
    files = [file_attachment("report.pdf", PDF, "application/pdf"), file_attachment("notes.txt", b"n1", "text/plain")]
    response = await alice.send_mail({"subject": "Files", "toRecipients": recipients(BOB), "attachments": files})
    assert response.status_code == 202, response.text
    sent = await alice.only_message_in("sentitems")
    received = await bob.only_message_in("inbox")
    expected = [("report.pdf", "application/pdf", len(PDF), False, PDF), ("notes.txt", "text/plain", 2, False, b"n1")]
    sent_files = await alice.attachments(sent["id"])
    received_files = await bob.attachments(received["id"])
    assert summary(sent_files) == summary(received_files) == expected
    assert {a["id"] for a in sent_files}.isdisjoint(a["id"] for a in received_files)
    for mailbox, message, listed in ((alice, sent, sent_files), (bob, received, received_files)):
        assert message["hasAttachments"] is True
        for item, (_, _, _, _, data) in zip(listed, expected):
            assert await mailbox.attachment_value(message["id"], item["id"]) == data
    assert await alice.counts("drafts") == (0, 0)
    assert await bob.counts("inbox") == (1, 1)


async def test_a_sent_draft_keeps_its_attachments_in_sent_items_and_the_recipients_copy(alice: Mailbox,
                                                                                          bob: Mailbox) -> None:
    draft = await alice.create_draft(subject="Report", toRecipients=recipients(BOB))
    await alice.add_attachment(draft["id"], file_attachment("report.pdf", PDF, "application/pdf"))
    assert (await alice.send(draft["id"])).status_code == 202
    sent = await alice.only_message_in("sentitems")
    received = await bob.only_message_in("inbox")
    assert sent["hasAttachments"] is True and received["hasAttachments"] is True
    expected = [("report.pdf", "application/pdf", len(PDF), False, PDF)]
    assert summary(await alice.attachments(sent["id"])) == summary(await bob.attachments(received["id"])) == expected
    assert await alice.counts("drafts") == (0, 0)


async def test_a_forward_draft_carries_the_originals_attachments(alice: Mailbox, bob: Mailbox) -> None:
    files = [file_attachment("report.pdf", PDF, "application/pdf"),
             file_attachment("logo.png", PNG, "image/png", isInline=True, contentId="logo")]
    assert (await bob.send_mail({"subject": "Numbers", "toRecipients": recipients(ALICE),
                                 "body": {"contentType": "html", "content": '<p><img src="cid:logo"></p>'},
                                 "attachments": files})).status_code == 202
    original = await alice.only_message_in("inbox")
    originals = await alice.attachments(original["id"])
    response = await alice.post(f"messages/{original['id']}/createForward", json={})
    assert response.status_code == 201, response.text
    forward = response.json()
    assert forward["hasAttachments"] is True
    copied = await alice.attachments(forward["id"])
    assert summary(copied) == summary(originals) == [("report.pdf", "application/pdf", len(PDF), False, PDF),
                                                     ("logo.png", "image/png", len(PNG), True, PNG)]
    assert {a["id"] for a in copied}.isdisjoint(a["id"] for a in originals)
    assert [a["contentId"] for a in copied] == [None, "logo"]
    assert await alice.attachment_value(forward["id"], copied[0]["id"]) == PDF
    assert await alice.counts("drafts") == (1, 0)


async def test_each_copy_of_a_sent_message_owns_its_attachments(alice: Mailbox, bob: Mailbox, carol: Mailbox) -> None:
    draft = await alice.create_draft(subject="Report", toRecipients=recipients(BOB, CAROL))
    await alice.add_attachment(draft["id"], file_attachment("report.pdf", PDF, "application/pdf"))
    assert (await alice.send(draft["id"])).status_code == 202
    sent = await alice.only_message_in("sentitems")
    [mine] = await alice.attachments(sent["id"])
    copies = {}
    for mailbox in (bob, carol):
        received = await mailbox.only_message_in("inbox")
        [theirs] = await mailbox.attachments(received["id"])
        assert theirs["id"] != mine["id"]
        copies[mailbox.headers["Authorization"]] = (received, theirs)

    bobs_copy, bobs_file = copies[bob.headers["Authorization"]]
    response = await bob.delete(f"messages/{bobs_copy['id']}/attachments/{bobs_file['id']}")
    assert response.status_code == 204, response.text
    assert await bob.attachments(bobs_copy["id"]) == []
    assert (await bob.message(bobs_copy["id"]))["hasAttachments"] is False
    # The sender's and the other recipient's copies keep theirs, content and all.
    assert await alice.attachments(sent["id"]) == [mine]
    assert (await alice.message(sent["id"]))["hasAttachments"] is True
    carols_copy, carols_file = copies[carol.headers["Authorization"]]
    assert await carol.attachment_value(carols_copy["id"], carols_file["id"]) == PDF

    response = await alice.delete(f"messages/{sent['id']}/attachments/{mine['id']}")
    assert response.status_code == 204, response.text
    assert await alice.attachments(sent["id"]) == []
    assert await carol.attachments(carols_copy["id"]) == [carols_file]
    assert await carol.attachment_value(carols_copy["id"], carols_file["id"]) == PDF


# --- permissions -----------------------------------------------------------------------------------

async def test_mail_read_reads_attachments_but_cannot_add_or_delete_them(client: httpx.AsyncClient,
                                                                         tokens: TokenMint, alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Report")
    created = await alice.add_attachment(draft["id"], file_attachment("a.txt", b"alpha", "text/plain"))
    reader = await delegated(client, tokens, ALICE, scopes=("Mail.Read",))
    assert await reader.attachments(draft["id"]) == [entity(created)]
    assert await reader.attachment_value(draft["id"], created["id"]) == b"alpha"
    response = await reader.post(f"messages/{draft['id']}/attachments", json=file_attachment("b.txt", b"beta"))
    assert_graph_error(response, 403, "ErrorAccessDenied")
    assert_graph_error(await reader.delete(f"messages/{draft['id']}/attachments/{created['id']}"), 403,
                       "ErrorAccessDenied")
    assert await alice.attachments(draft["id"]) == [entity(created)]


async def test_an_item_whose_recipient_is_no_address_is_refused_or_stored(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Item")
    response = await alice.post(f"messages/{draft['id']}/attachments", json={
        "@odata.type": ITEM_ATTACHMENT, "name": "Odd",
        "item": {"subject": "Odd", "toRecipients": [{"emailAddress": {"address": "not an address"}}]}})
    if response.status_code == 201:
        assert [a["name"] for a in await alice.attachments(draft["id"])] == ["Odd"]
    else:
        assert_error_status(response, 400)
        await assert_untouched(alice, draft)


async def test_send_mail_without_saving_delivers_the_attachments_and_files_nothing(alice: Mailbox,
                                                                                   bob: Mailbox) -> None:
    response = await alice.send_mail({"subject": "Unsaved", "toRecipients": recipients(BOB),
                                      "attachments": [file_attachment("n.txt", b"nn", "text/plain")]},
                                     saveToSentItems=False)
    assert response.status_code == 202, response.text
    received = await bob.only_message_in("inbox")
    assert received["hasAttachments"] is True
    assert summary(await bob.attachments(received["id"])) == [("n.txt", "text/plain", 2, False, b"nn")]
    assert await alice.counts("sentitems") == (0, 0)
    assert await alice.counts("drafts") == (0, 0)
