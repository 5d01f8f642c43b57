"""Drafts: create, read, update and delete messages, under /me and /users/{upn}, on v1.0 and beta."""

import asyncio
import re

import httpx
import pytest

from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import (BOB, MAILBOX_PATHS, MESSAGE_KEYS, Mailbox, addresses, assert_error_status, entity,
                                    mailbox_via, recipients)
from tests.tokens import TokenMint

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


@pytest.fixture(params=["v1.0/me", "beta/users"])
async def alice(request: pytest.FixtureRequest, client: httpx.AsyncClient, tokens: TokenMint) -> Mailbox:
    # Both dimensions (version, and /me with a delegated token or /users/{upn} with an app token)
    # in two runs; the create test below runs all four combinations.
    return await mailbox_via(client, tokens, request.param)


@pytest.mark.parametrize("via", MAILBOX_PATHS)
async def test_create_answers_201_with_the_full_draft_in_drafts(client: httpx.AsyncClient, tokens: TokenMint,
                                                                via: str) -> None:
    alice = await mailbox_via(client, tokens, via)
    response = await alice.post("messages", json={
        "subject": "Lunch", "body": {"contentType": "text", "content": "At noon?"},
        "toRecipients": recipients(BOB), "ccRecipients": recipients("carol@contoso.test"),
        "bccRecipients": recipients("dave@example.org")})
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    draft = response.json()
    assert set(draft) == MESSAGE_KEYS
    assert draft["@odata.context"].startswith(f"http://graph.test/{alice.path.split('/')[1]}/$metadata#")
    assert draft["@odata.context"].endswith("/messages/$entity")
    assert draft["id"].startswith("AAMk")
    assert draft["@odata.etag"] == f'W/"{draft["changeKey"]}"'
    for key in ("createdDateTime", "lastModifiedDateTime", "receivedDateTime", "sentDateTime"):
        assert TIMESTAMP.fullmatch(draft[key]), (key, draft[key])
    assert draft["isDraft"] is True and draft["isRead"] is True and draft["hasAttachments"] is False
    assert (draft["subject"], draft["bodyPreview"], draft["importance"]) == ("Lunch", "At noon?", "normal")
    assert draft["body"] == {"contentType": "text", "content": "At noon?"}
    assert addresses(draft["toRecipients"]) == [BOB]
    assert addresses(draft["ccRecipients"]) == ["carol@contoso.test"]
    assert addresses(draft["bccRecipients"]) == ["dave@example.org"]
    assert draft["replyTo"] == [] and draft["categories"] == []
    assert draft["flag"] == {"flagStatus": "notFlagged"}
    assert draft["inferenceClassification"] in ("focused", "other")
    assert draft["conversationId"] and draft["conversationIndex"] and draft["internetMessageId"]
    drafts = await alice.folder("drafts")
    assert draft["parentFolderId"] == drafts["id"]
    assert (drafts["totalItemCount"], drafts["unreadItemCount"]) == (1, 0)
    assert [m["id"] for m in await alice.messages_in("drafts")] == [draft["id"]]
    assert await alice.counts("inbox") == (0, 0)


async def test_enum_values_in_any_case_are_written_back_in_graphs_casing(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Casing", importance="High",
                                     body={"contentType": "HTML", "content": "<p>Hi</p>"})
    assert draft["importance"] == "high"
    assert draft["body"]["contentType"] == "html"
    again = (await alice.get(f"messages/{draft['id']}")).json()
    assert (again["importance"], again["body"]["contentType"]) == ("high", "html")


async def test_body_preview_of_an_html_body_is_its_text_collapsed_and_cut_to_255(alice: Mailbox) -> None:
    words = " ".join(f"word{n}" for n in range(100))
    html = ("<html><head><style>p { color: red; }</style></head><body>"
            f"<p>Hello   <b>world</b></p>\n\n<div>Tom &amp; Jerry</div>\t<p>{words}</p></body></html>")
    draft = await alice.create_draft(subject="Preview", body={"contentType": "html", "content": html})
    text = f"Hello world Tom & Jerry {words}"
    assert draft["bodyPreview"] == text[:255]
    assert len(draft["bodyPreview"]) == 255
    assert draft["body"]["content"] == html


async def test_create_in_a_named_folder_puts_the_draft_there(alice: Mailbox) -> None:
    response = await alice.post("mailFolders/inbox/messages",
                                json={"subject": "Filed", "toRecipients": recipients(BOB)})
    assert response.status_code == 201, response.text
    draft = response.json()
    assert set(draft) == MESSAGE_KEYS and draft["isDraft"] is True
    inbox = await alice.folder("inbox")
    assert draft["parentFolderId"] == inbox["id"]
    assert (inbox["totalItemCount"], inbox["unreadItemCount"]) == (1, 0)
    assert [m["id"] for m in await alice.messages_in("inbox")] == [draft["id"]]
    assert await alice.counts("drafts") == (0, 0)


async def test_kiota_style_extras_are_accepted(alice: Mailbox) -> None:
    draft = await alice.create_draft(**{
        "@odata.type": "#microsoft.graph.message",
        "subject": "From the SDK",
        "body": {"@odata.type": "#microsoft.graph.itemBody", "contentType": "html", "content": "<b>hi</b>"},
        "toRecipients": [{"@odata.type": "#microsoft.graph.recipient",
                          "emailAddress": {"@odata.type": "#microsoft.graph.emailAddress", "address": BOB}}],
        "ccRecipients": [],
        "flag": {"@odata.type": "#microsoft.graph.followupFlag", "flagStatus": "notFlagged"},
        "importance": "normal",
        "isReadReceiptRequested": False,
    })
    assert set(draft) == MESSAGE_KEYS
    assert (draft["subject"], draft["bodyPreview"], draft["importance"]) == ("From the SDK", "hi", "normal")
    assert addresses(draft["toRecipients"]) == [BOB] and draft["ccRecipients"] == []
    assert draft["flag"] == {"flagStatus": "notFlagged"}
    assert await alice.counts("drafts") == (1, 0)


async def test_an_unknown_property_is_refused(alice: Mailbox) -> None:
    response = await alice.post("messages", json={"subject": "x", "sillyProperty": 1})
    error = assert_graph_error(response, 400, "RequestBodyRead")
    assert "sillyProperty" in error["message"]
    assert await alice.counts("drafts") == (0, 0)


@pytest.mark.parametrize("message", [{"subject": 5}, {"isRead": "yes"}, {"toRecipients": "bob@contoso.test"},
                                     {"body": "just text"}, {"importance": "urgent"}])
async def test_a_property_of_the_wrong_type_is_refused(alice: Mailbox, message: dict) -> None:
    assert_graph_error(await alice.post("messages", json=message), 400, "RequestBodyRead")
    assert await alice.counts("drafts") == (0, 0)


# Properties every message has a value for: null is no value of theirs (found by tests/fuzz).
NEVER_NULL = ["isRead", "importance", "isDeliveryReceiptRequested", "isReadReceiptRequested",
              "inferenceClassification", "categories", "flag", "internetMessageId"]


@pytest.mark.parametrize("name", NEVER_NULL)
async def test_null_for_a_property_that_always_has_a_value_is_refused(alice: Mailbox, name: str) -> None:
    error = assert_graph_error(await alice.post("messages", json={name: None}), 400, "RequestBodyRead")
    assert name in error["message"]
    assert await alice.counts("drafts") == (0, 0)
    draft = await alice.create_draft(subject="Kept")
    before = await alice.message(draft["id"])
    assert_graph_error(await alice.patch(f"messages/{draft['id']}", json={name: None}), 400, "RequestBodyRead")
    assert await alice.message(draft["id"]) == before


@pytest.mark.parametrize("message_id", ["<\x00@example.com>", "<a\x7f@example.com>", "<a@exa\x1bmple.com>"])
async def test_an_internet_message_id_with_a_control_character_is_refused(alice: Mailbox, message_id: str) -> None:
    # It would become a Message-ID header that cannot be written: $value answered 500 (found by tests/fuzz).
    response = await alice.post("messages", json={"subject": "x", "internetMessageId": message_id})
    assert_graph_error(response, 400, "ErrorInvalidRequest")
    assert await alice.counts("drafts") == (0, 0)


async def test_malformed_json_is_refused(alice: Mailbox) -> None:
    response = await alice.post("messages", content=b'{"subject": "x",',
                                headers={"Content-Type": "application/json"})
    assert_graph_error(response, 400, "RequestBodyRead")
    assert await alice.counts("drafts") == (0, 0)


async def test_an_empty_body_is_refused(alice: Mailbox) -> None:
    response = await alice.post("messages", content=b"", headers={"Content-Type": "application/json"})
    error = assert_graph_error(response, 400, "BadRequest")
    assert error["message"] == "Empty Payload. JSON content expected."
    assert await alice.counts("drafts") == (0, 0)


async def test_get_by_id_returns_the_draft(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Fetch me", toRecipients=recipients(BOB))
    response = await alice.get(f"messages/{draft['id']}")
    assert response.status_code == 200, response.text
    assert response.json() == draft


async def test_another_mailboxs_message_is_not_found_and_a_malformed_id_is_refused(
        alice: Mailbox, client: httpx.AsyncClient, tokens: TokenMint) -> None:
    bobs = await (await mailbox_via(client, tokens, "v1.0/me", BOB)).create_draft(subject="Bob's")
    assert_graph_error(await alice.get(f"messages/{bobs['id']}"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.patch(f"messages/{bobs['id']}", json={"subject": "mine"}), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.delete(f"messages/{bobs['id']}"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.get("messages/not*an*id"), 400, "ErrorInvalidIdMalformed")
    assert_graph_error(await alice.patch("messages/not*an*id", json={"subject": "x"}), 400, "ErrorInvalidIdMalformed")


async def test_patch_changes_the_content_and_the_change_key_but_not_the_id(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Before", body={"contentType": "text", "content": "old"})
    await asyncio.sleep(1.05)  # Graph's timestamps have whole seconds
    response = await alice.patch(f"messages/{draft['id']}", json={
        "subject": "After", "body": {"contentType": "html", "content": "<p>new  text</p>"},
        "toRecipients": recipients(BOB, "erin@example.org")})
    assert response.status_code == 200, response.text
    updated = response.json()
    assert set(updated) == MESSAGE_KEYS
    assert updated["id"] == draft["id"]
    assert updated["changeKey"] != draft["changeKey"]
    assert updated["@odata.etag"] == f'W/"{updated["changeKey"]}"'
    assert updated["lastModifiedDateTime"] > draft["lastModifiedDateTime"]
    assert updated["createdDateTime"] == draft["createdDateTime"]
    assert (updated["subject"], updated["bodyPreview"]) == ("After", "new text")
    assert updated["body"] == {"contentType": "html", "content": "<p>new  text</p>"}
    assert addresses(updated["toRecipients"]) == [BOB, "erin@example.org"]
    assert (await alice.get(f"messages/{draft['id']}")).json() == updated
    assert await alice.counts("drafts") == (1, 0)


async def test_patch_of_a_sent_message_refuses_its_content_but_allows_flags(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Sent once", toRecipients=recipients(BOB))
    assert (await alice.send(draft["id"])).status_code == 202
    [sent] = await alice.messages_in("sentitems")
    for change in ({"subject": "Rewritten"}, {"body": {"contentType": "text", "content": "x"}},
                   {"toRecipients": recipients(BOB)}):
        assert_graph_error(await alice.patch(f"messages/{sent['id']}", json=change),
                           400, "ErrorInvalidPropertyUpdateSentMessage")
    unchanged = (await alice.get(f"messages/{sent['id']}")).json()
    assert entity(unchanged) == sent
    response = await alice.patch(f"messages/{sent['id']}", json={
        "isRead": False, "categories": ["Blue category"], "flag": {"flagStatus": "flagged"}})
    assert response.status_code == 200, response.text
    flagged = response.json()
    assert (flagged["id"], flagged["subject"], flagged["isRead"]) == (sent["id"], "Sent once", False)
    assert flagged["categories"] == ["Blue category"] and flagged["flag"]["flagStatus"] == "flagged"
    assert flagged["changeKey"] != sent["changeKey"]
    assert await alice.counts("sentitems") == (1, 1)
    assert await alice.counts("drafts") == (0, 0)


async def test_delete_answers_204_and_the_draft_is_gone(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Doomed")
    assert await alice.counts("drafts") == (1, 0)
    response = await alice.delete(f"messages/{draft['id']}")
    assert response.status_code == 204 and response.content == b""
    assert_graph_error(await alice.get(f"messages/{draft['id']}"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.delete(f"messages/{draft['id']}"), 404, "ErrorItemNotFound")
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.messages_in("drafts") == []
    # Graph's DELETE moves the item to Recoverable Items, not to Deleted Items.
    assert await alice.counts("deleteditems") == (0, 0)
    listed = (await alice.get("messages")).json()["value"]
    assert draft["id"] not in [m["id"] for m in listed]


async def test_list_pages_with_top_and_next_link(alice: Mailbox) -> None:
    created = [(await alice.create_draft(subject=f"Draft {n}"))["id"] for n in range(5)]
    response = await alice.get("messages", params={"$top": "2"})
    seen: list[str] = []
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["@odata.context"].endswith("/messages")
        assert 0 < len(body["value"]) <= 2
        assert all(set(m) == MESSAGE_KEYS - {"@odata.context"} for m in body["value"])
        seen += [m["id"] for m in body["value"]]
        pages += 1
        if "@odata.nextLink" not in body:
            break
        response = await alice.client.get(body["@odata.nextLink"], headers=alice.headers)
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5
    assert set(seen) == set(created)
    assert await alice.counts("drafts") == (5, 0)


@pytest.mark.parametrize("top", ["abc", "-1", "1.5", ""])
async def test_an_invalid_top_is_a_bad_request(alice: Mailbox, top: str) -> None:
    # Graph: "Invalid value 'abc' for $top query option found. The $top query option requires a
    # non-negative integer value."
    assert_graph_error(await alice.get("messages", params={"$top": top}), 400, "BadRequest")


async def test_top_zero_is_accepted_and_returns_no_messages(alice: Mailbox) -> None:
    # $top must be a non-negative integer; Graph answers ?$top=0 on /messages with 200 (see
    # microsoftgraph/microsoft-graph-docs-contrib#3167, where $top=0 only loses @odata.count).
    await alice.create_draft(subject="One")
    response = await alice.get("messages", params={"$top": "0"})
    assert response.status_code == 200, response.text
    assert response.json()["value"] == []


async def test_internet_message_headers_must_be_custom(alice: Mailbox) -> None:
    response = await alice.post("messages", json={
        "subject": "Headers", "internetMessageHeaders": [{"name": "Received", "value": "from somewhere"}]})
    error = assert_graph_error(response, 400, "InvalidInternetMessageHeader")
    assert "Received" in error["message"]
    assert await alice.counts("drafts") == (0, 0)
    draft = await alice.create_draft(subject="Headers", internetMessageHeaders=[{"name": "x-custom", "value": "1"},
                                                                                {"name": "X-Other", "value": "2"}])
    assert set(draft) == MESSAGE_KEYS  # internetMessageHeaders only come back on $select
    assert await alice.counts("drafts") == (1, 0)


@pytest.mark.parametrize("name", ["X-Custom Tag", "X-Caf\u00e9", "X-\t", "X-a:b"])
async def test_a_header_name_mime_cannot_write_is_refused(alice: Mailbox, name: str) -> None:
    # Accepted once, it was sent with 202 and then failed to render in $value and in the relay.
    response = await alice.post("sendMail", json={"message": {
        "subject": "Name", "toRecipients": [{"emailAddress": {"address": "someone@example.com"}}],
        "internetMessageHeaders": [{"name": name, "value": "1"}]}})
    assert_graph_error(response, 400, "InvalidInternetMessageHeader")
    assert await alice.counts("sentitems") == (0, 0)


@pytest.mark.parametrize("value", ["a\r\nBcc: mallory@example.org", "a\nb", "a\rb"])
async def test_a_header_value_with_a_line_break_is_refused(alice: Mailbox, value: str) -> None:
    response = await alice.post("messages", json={
        "subject": "Smuggle", "internetMessageHeaders": [{"name": "X-Note", "value": value}]})
    assert_error_status(response, 400)
    assert await alice.counts("drafts") == (0, 0)
