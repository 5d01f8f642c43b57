"""Sending: POST …/messages/{id}/send and POST …/sendMail, local delivery and the captured outbox."""

import asyncio

import httpx
import pytest

from graphpost.directory import service as directory
from graphpost.store import outbox
from graphpost.store.database import Database
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import (ALICE, BOB, CAROL, MESSAGE_KEYS, Mailbox, addresses, as_application, assert_error_status,
                                    delegated, entity, recipients)
from tests.tokens import TokenMint

EXTERNAL = "erin@example.org"


@pytest.fixture(params=["v1.0/me", "beta/users"])
async def alice(request: pytest.FixtureRequest, client: httpx.AsyncClient, tokens: TokenMint, db: Database) -> Mailbox:
    await directory.add_user(db, CAROL, None)
    version, kind = request.param.split("/")
    if kind == "me":
        return await delegated(client, tokens, ALICE, version)
    return await as_application(client, tokens, ALICE, version)


@pytest.fixture
async def bob(client: httpx.AsyncClient, tokens: TokenMint) -> Mailbox:
    return await delegated(client, tokens, BOB)


@pytest.fixture
async def carol(alice: Mailbox, client: httpx.AsyncClient, tokens: TokenMint) -> Mailbox:
    return await delegated(client, tokens, CAROL)


async def captured(db: Database) -> list[tuple[str, str, str, str]]:
    """The outbox as (internetMessageId, sender, recipient, state)."""
    async with db.read() as conn:
        return [(e.internet_message_id, e.sender, e.recipient, e.state) for e in await outbox.entries(conn)]


async def test_send_delivers_to_every_recipient_and_files_the_message_in_sent_items(
        alice: Mailbox, bob: Mailbox, carol: Mailbox, db: Database) -> None:
    draft = await alice.create_draft(
        subject="Quarterly", body={"contentType": "html", "content": "<p>Numbers attached</p>"},
        toRecipients=recipients(BOB), ccRecipients=recipients(CAROL), bccRecipients=recipients(EXTERNAL))
    response = await alice.send(draft["id"])
    assert response.status_code == 202, response.text
    assert response.content == b""
    # The draft id is gone: Graph files the sent message as a new item.
    assert_graph_error(await alice.get(f"messages/{draft['id']}"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.send(draft["id"]), 404, "ErrorItemNotFound")
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.messages_in("drafts") == []
    assert await alice.counts("sentitems") == (1, 0)
    [sent] = await alice.messages_in("sentitems")
    assert set(sent) == MESSAGE_KEYS - {"@odata.context"}
    assert sent["id"] != draft["id"]
    assert sent["isDraft"] is False and sent["isRead"] is True
    assert sent["sentDateTime"] and sent["sentDateTime"] >= draft["createdDateTime"]
    assert addresses([sent["from"]]) == [ALICE] and addresses([sent["sender"]]) == [ALICE]
    assert addresses(sent["toRecipients"]) == [BOB] and addresses(sent["ccRecipients"]) == [CAROL]
    assert addresses(sent["bccRecipients"]) == [EXTERNAL]  # only the sender's copy keeps Bcc
    assert (sent["subject"], sent["body"]) == ("Quarterly", draft["body"])
    assert sent["internetMessageId"] == draft["internetMessageId"]
    assert sent["conversationId"] == draft["conversationId"]
    for recipient in (bob, carol):
        assert await recipient.counts("inbox") == (1, 1)
        [received] = await recipient.messages_in("inbox")
        assert received["isRead"] is False and received["isDraft"] is False
        assert received["id"] != sent["id"]
        assert received["internetMessageId"] == sent["internetMessageId"]
        assert received["conversationId"] == sent["conversationId"]
        assert addresses([received["from"]]) == [ALICE] and addresses([received["sender"]]) == [ALICE]
        assert addresses(received["toRecipients"]) == [BOB] and addresses(received["ccRecipients"]) == [CAROL]
        assert received["bccRecipients"] == []
        assert received["receivedDateTime"] and received["sentDateTime"] == sent["sentDateTime"]
        assert (received["subject"], received["body"]) == ("Quarterly", draft["body"])
        assert await recipient.counts("sentitems") == (0, 0)
    assert await captured(db) == [(sent["internetMessageId"], ALICE, EXTERNAL, "captured")]


async def test_a_bcc_recipient_gets_a_copy_that_shows_no_bcc(alice: Mailbox, bob: Mailbox, carol: Mailbox,
                                                             db: Database) -> None:
    draft = await alice.create_draft(subject="Secret", toRecipients=recipients(BOB), bccRecipients=recipients(CAROL))
    assert (await alice.send(draft["id"])).status_code == 202
    [copy] = await carol.messages_in("inbox")
    assert copy["bccRecipients"] == [] and addresses(copy["toRecipients"]) == [BOB]
    assert await carol.counts("inbox") == (1, 1)
    [bobs] = await bob.messages_in("inbox")
    assert bobs["bccRecipients"] == []
    [sent] = await alice.messages_in("sentitems")
    assert addresses(sent["bccRecipients"]) == [CAROL]
    assert await captured(db) == []


async def test_a_recipient_named_twice_gets_one_copy(alice: Mailbox, bob: Mailbox, db: Database) -> None:
    draft = await alice.create_draft(subject="Twice", toRecipients=recipients(BOB, EXTERNAL),
                                     ccRecipients=recipients("Bob@Contoso.Test"), bccRecipients=recipients(EXTERNAL))
    assert (await alice.send(draft["id"])).status_code == 202
    assert await bob.counts("inbox") == (1, 1)
    assert [entry[2] for entry in await captured(db)] == [EXTERNAL]


async def test_sending_one_draft_several_times_at_once_sends_it_once(alice: Mailbox, bob: Mailbox,
                                                                     db: Database) -> None:
    draft = await alice.create_draft(subject="Race", toRecipients=recipients(BOB, EXTERNAL))
    responses = await asyncio.gather(*(alice.send(draft["id"]) for _ in range(5)))
    assert sorted(response.status_code for response in responses) == [202, 404, 404, 404, 404]
    for response in responses:
        if response.status_code == 404:
            assert_graph_error(response, 404, "ErrorItemNotFound")
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("sentitems") == (1, 0)
    assert await bob.counts("inbox") == (1, 1)
    assert [entry[2] for entry in await captured(db)] == [EXTERNAL]


async def test_send_to_external_recipients_only_captures_them(alice: Mailbox, bob: Mailbox, db: Database) -> None:
    draft = await alice.create_draft(subject="Out", toRecipients=recipients(EXTERNAL, "Frank@Example.NET"))
    response = await alice.send(draft["id"])
    assert response.status_code == 202, response.text
    [sent] = await alice.messages_in("sentitems")
    assert sorted(entry[2].lower() for entry in await captured(db)) == ["erin@example.org", "frank@example.net"]
    assert {entry[0] for entry in await captured(db)} == {sent["internetMessageId"]}
    assert await alice.counts("drafts") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)


async def test_send_without_recipients_is_refused_and_the_draft_stays(alice: Mailbox, db: Database) -> None:
    draft = await alice.create_draft(subject="Nobody", body={"contentType": "text", "content": "hello?"})
    assert_graph_error(await alice.send(draft["id"]), 400, "ErrorInvalidRecipients")
    assert entity((await alice.get(f"messages/{draft['id']}")).json()) == entity(draft)
    assert await alice.counts("drafts") == (1, 0)
    assert await alice.counts("sentitems") == (0, 0)
    assert await captured(db) == []


@pytest.mark.parametrize("address", ["a@x.com;b@x.com", "not an address", "bob@"])
async def test_send_with_an_invalid_address_is_refused(alice: Mailbox, bob: Mailbox, db: Database,
                                                       address: str) -> None:
    draft = await alice.create_draft(subject="Bad", toRecipients=recipients(BOB, address))
    error = assert_graph_error(await alice.send(draft["id"]), 400, "ErrorInvalidRecipients")
    assert address in error["message"]
    assert entity((await alice.get(f"messages/{draft['id']}")).json()) == entity(draft)
    assert await alice.counts("drafts") == (1, 0)
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)
    assert await captured(db) == []


async def test_send_of_a_received_message_is_refused(alice: Mailbox, bob: Mailbox, db: Database) -> None:
    draft = await alice.create_draft(subject="Once", toRecipients=recipients(BOB))
    assert (await alice.send(draft["id"])).status_code == 202
    [received] = await bob.messages_in("inbox")
    assert_error_status(await bob.send(received["id"]), 400)
    assert await bob.counts("inbox") == (1, 1)
    assert await bob.counts("sentitems") == (0, 0)
    assert await alice.counts("inbox") == (0, 0)
    assert await captured(db) == []


async def test_send_without_content_length_is_length_required(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Length", toRecipients=recipients(BOB))
    request = alice.client.build_request("POST", f"{alice.path}/messages/{draft['id']}/send", headers=alice.headers)
    del request.headers["Content-Length"]
    assert "transfer-encoding" not in request.headers
    response = await alice.client.send(request)
    # Graph's front door answers 411 itself (an HTTP.sys page, not the JSON envelope).
    assert response.status_code == 411
    assert await alice.counts("drafts") == (1, 0)
    assert await alice.counts("sentitems") == (0, 0)


async def test_send_with_a_json_body_is_refused(alice: Mailbox, bob: Mailbox) -> None:
    draft = await alice.create_draft(subject="Body", toRecipients=recipients(BOB))
    response = await alice.post(f"messages/{draft['id']}/send", json={"message": {"subject": "other"}})
    assert_error_status(response, 400)
    assert await alice.counts("drafts") == (1, 0)
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)


async def test_sending_to_yourself_puts_a_copy_in_your_inbox(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Note to self", toRecipients=recipients(ALICE))
    assert (await alice.send(draft["id"])).status_code == 202
    assert await alice.counts("sentitems") == (1, 0)
    assert await alice.counts("inbox") == (1, 1)
    assert await alice.counts("drafts") == (0, 0)
    [received] = await alice.messages_in("inbox")
    [sent] = await alice.messages_in("sentitems")
    assert received["internetMessageId"] == sent["internetMessageId"] and received["id"] != sent["id"]
    assert received["isRead"] is False


async def test_recipient_addresses_match_users_in_any_case(alice: Mailbox, bob: Mailbox, db: Database) -> None:
    draft = await alice.create_draft(subject="Shouting", toRecipients=recipients("BOB@CONTOSO.TEST"))
    assert (await alice.send(draft["id"])).status_code == 202
    assert await bob.counts("inbox") == (1, 1)
    assert await captured(db) == []


async def test_a_user_of_another_tenant_is_captured_not_delivered(alice: Mailbox, client: httpx.AsyncClient,
                                                                  tokens: TokenMint, db: Database) -> None:
    await directory.add_tenant(db, "fabrikam.test", "Fabrikam")
    await directory.add_user(db, "zoe@fabrikam.test", None)
    draft = await alice.create_draft(subject="Across", toRecipients=recipients("zoe@fabrikam.test"))
    assert (await alice.send(draft["id"])).status_code == 202
    zoe = await delegated(client, tokens, "zoe@fabrikam.test")
    assert await zoe.counts("inbox") == (0, 0)
    [sent] = await alice.messages_in("sentitems")
    assert await captured(db) == [(sent["internetMessageId"], ALICE, "zoe@fabrikam.test", "captured")]


async def test_send_mail_delivers_and_saves_to_sent_items(alice: Mailbox, bob: Mailbox, carol: Mailbox,
                                                          db: Database) -> None:
    response = await alice.send_mail({
        "subject": "One call", "body": {"contentType": "Text", "content": "Straight out"},
        "toRecipients": recipients(BOB), "ccRecipients": recipients(CAROL), "bccRecipients": recipients(EXTERNAL)},
        saveToSentItems=True)
    assert response.status_code == 202, response.text
    assert response.content == b""
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("sentitems") == (1, 0)
    [sent] = await alice.messages_in("sentitems")
    assert sent["isDraft"] is False and sent["sentDateTime"]
    assert addresses([sent["from"]]) == [ALICE] and addresses(sent["bccRecipients"]) == [EXTERNAL]
    assert sent["body"] == {"contentType": "text", "content": "Straight out"}
    for recipient in (bob, carol):
        [received] = await recipient.messages_in("inbox")
        assert await recipient.counts("inbox") == (1, 1)
        assert received["internetMessageId"] == sent["internetMessageId"]
        assert received["conversationId"] == sent["conversationId"]
        assert received["bccRecipients"] == []
    assert await captured(db) == [(sent["internetMessageId"], ALICE, EXTERNAL, "captured")]


async def test_send_mail_saves_to_sent_items_by_default(alice: Mailbox, bob: Mailbox) -> None:
    response = await alice.post("sendMail", json={"message": {"subject": "Default", "toRecipients": recipients(BOB)}})
    assert response.status_code == 202, response.text
    assert await alice.counts("sentitems") == (1, 0)
    assert await bob.counts("inbox") == (1, 1)


async def test_send_mail_without_saving_leaves_no_sent_items_copy(alice: Mailbox, bob: Mailbox) -> None:
    response = await alice.send_mail({"subject": "Ephemeral", "toRecipients": recipients(BOB)},
                                     saveToSentItems=False)
    assert response.status_code == 202, response.text
    assert await alice.counts("sentitems") == (0, 0)
    assert await alice.counts("drafts") == (0, 0)
    assert await bob.counts("inbox") == (1, 1)
    [received] = await bob.messages_in("inbox")
    assert received["subject"] == "Ephemeral"


async def test_send_mail_accepts_kiota_parameter_casing(alice: Mailbox, bob: Mailbox) -> None:
    response = await alice.post("sendMail", json={
        "Message": {"@odata.type": "#microsoft.graph.message", "subject": "Kiota",
                    "body": {"contentType": "html", "content": "<i>hi</i>"},
                    "toRecipients": [{"emailAddress": {"address": BOB}}], "ccRecipients": []},
        "SaveToSentItems": False})
    assert response.status_code == 202, response.text
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (1, 1)
    [received] = await bob.messages_in("inbox")
    assert (received["subject"], received["bodyPreview"]) == ("Kiota", "hi")


async def test_send_mail_without_a_message_is_refused(alice: Mailbox, db: Database) -> None:
    assert_error_status(await alice.post("sendMail", json={}), 400)
    assert_error_status(await alice.post("sendMail", json={"saveToSentItems": True}), 400)
    assert await alice.counts("sentitems") == (0, 0)
    assert await captured(db) == []


async def test_send_mail_without_recipients_is_refused(alice: Mailbox, db: Database) -> None:
    response = await alice.send_mail({"subject": "Nobody", "toRecipients": []})
    assert_graph_error(response, 400, "ErrorInvalidRecipients")
    assert await alice.counts("sentitems") == (0, 0)
    assert await alice.counts("drafts") == (0, 0)
    assert await captured(db) == []


async def test_send_mail_with_malformed_json_is_refused(alice: Mailbox) -> None:
    response = await alice.post("sendMail", content=b'{"message": {"subject": "x"',
                                headers={"Content-Type": "application/json"})
    assert_graph_error(response, 400, "RequestBodyRead")
    assert await alice.counts("sentitems") == (0, 0)


async def test_send_mail_with_a_bad_address_is_refused(alice: Mailbox, bob: Mailbox, db: Database) -> None:
    response = await alice.send_mail({"subject": "Bad", "toRecipients": recipients(BOB, "a@x.com;b@x.com")})
    error = assert_graph_error(response, 400, "ErrorInvalidRecipients")
    assert "a@x.com;b@x.com" in error["message"]
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)
    assert await captured(db) == []


async def test_send_mail_from_someone_else_is_send_as_denied(alice: Mailbox, bob: Mailbox, db: Database) -> None:
    response = await alice.send_mail({"subject": "Spoof", "from": {"emailAddress": {"address": BOB}},
                                      "toRecipients": recipients(CAROL)})
    assert_graph_error(response, 403, "ErrorSendAsDenied")
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("sentitems") == (0, 0)
    assert await captured(db) == []


async def test_send_of_a_draft_from_someone_else_is_send_as_denied(alice: Mailbox, bob: Mailbox) -> None:
    draft = await alice.create_draft(subject="Spoof", toRecipients=recipients(BOB),
                                     **{"from": {"emailAddress": {"address": CAROL}}})
    assert_graph_error(await alice.send(draft["id"]), 403, "ErrorSendAsDenied")
    assert await alice.counts("drafts") == (1, 0)
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)
