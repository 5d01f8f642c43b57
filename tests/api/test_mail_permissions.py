"""Who may read, write and send in which mailbox: Graph's permissions, delegated and application."""

import httpx
import pytest

from graphpost.directory import service as directory
from graphpost.store.database import Database
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import ALICE, BOB, Mailbox, addresses, as_application, delegated, recipients
from tests.tokens import TokenMint

ZOE = "zoe@fabrikam.test"


def app_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("version", ["v1.0", "beta"])
async def test_mail_read_reads_but_cannot_create_change_delete_or_send(
        client: httpx.AsyncClient, tokens: TokenMint, alice: Mailbox, bob: Mailbox, version: str) -> None:
    draft = await alice.create_draft(subject="Read me", toRecipients=recipients(BOB))
    reader = await delegated(client, tokens, ALICE, version, scopes=("Mail.Read",))
    listed = await reader.get("messages")
    assert listed.status_code == 200 and [m["id"] for m in listed.json()["value"]] == [draft["id"]]
    assert (await reader.get(f"messages/{draft['id']}")).status_code == 200
    assert (await reader.get("mailFolders")).status_code == 200
    assert await reader.counts("drafts") == (1, 0)
    for response in (await reader.post("messages", json={"subject": "new"}),
                     await reader.post("mailFolders/drafts/messages", json={"subject": "new"}),
                     await reader.patch(f"messages/{draft['id']}", json={"subject": "changed"}),
                     await reader.delete(f"messages/{draft['id']}"),
                     await reader.send(draft["id"]),
                     await reader.send_mail({"subject": "x", "toRecipients": recipients(BOB)})):
        assert_graph_error(response, 403, "ErrorAccessDenied")
    assert (await alice.get(f"messages/{draft['id']}")).json()["subject"] == "Read me"
    assert await alice.counts("drafts") == (1, 0)
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)


async def test_mail_send_alone_sends_but_cannot_read(client: httpx.AsyncClient, tokens: TokenMint, alice: Mailbox,
                                                     bob: Mailbox) -> None:
    sender = await delegated(client, tokens, ALICE, scopes=("Mail.Send",))
    response = await sender.send_mail({"subject": "Sent with Mail.Send", "toRecipients": recipients(BOB)})
    assert response.status_code == 202, response.text
    draft = await alice.create_draft(subject="Draft sent with Mail.Send", toRecipients=recipients(BOB))
    assert (await sender.send(draft["id"])).status_code == 202
    for response in (await sender.get("messages"), await sender.get(f"messages/{draft['id']}"),
                     await sender.get("mailFolders/inbox/messages"),
                     await sender.post("messages", json={"subject": "no"})):
        assert_graph_error(response, 403, "ErrorAccessDenied")
    assert await alice.counts("sentitems") == (2, 0)
    assert await alice.counts("drafts") == (0, 0)
    assert await bob.counts("inbox") == (2, 2)


async def test_mail_read_write_without_mail_send_cannot_send(client: httpx.AsyncClient, tokens: TokenMint,
                                                             bob: Mailbox) -> None:
    writer = await delegated(client, tokens, ALICE, scopes=("Mail.ReadWrite",))
    draft = await writer.create_draft(subject="Stuck", toRecipients=recipients(BOB))
    assert_graph_error(await writer.send(draft["id"]), 403, "ErrorAccessDenied")
    assert_graph_error(await writer.send_mail({"subject": "x", "toRecipients": recipients(BOB)}),
                       403, "ErrorAccessDenied")
    assert (await writer.get(f"messages/{draft['id']}")).status_code == 200
    assert await writer.counts("drafts") == (1, 0)
    assert await writer.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)


async def test_a_delegated_token_cannot_reach_another_users_mailbox(client: httpx.AsyncClient, alice: Mailbox,
                                                                   bob: Mailbox) -> None:
    bobs_draft = await bob.create_draft(subject="Bob's own", toRecipients=recipients(ALICE))
    into_bob = Mailbox(client, "/v1.0/users/bob@contoso.test", alice.headers)
    for response in (await into_bob.get("messages"), await into_bob.get("mailFolders"),
                     await into_bob.get(f"messages/{bobs_draft['id']}"),
                     await into_bob.post("messages", json={"subject": "planted"}),
                     await into_bob.send(bobs_draft["id"]),
                     await into_bob.send_mail({"subject": "As Bob", "toRecipients": recipients(ALICE)})):
        assert_graph_error(response, 403, "ErrorAccessDenied")
    # Nor through its own path: another mailbox's ids are simply not found.
    assert_graph_error(await alice.get(f"messages/{bobs_draft['id']}"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.send(bobs_draft["id"]), 404, "ErrorItemNotFound")
    assert await bob.counts("drafts") == (1, 0)
    assert await bob.counts("sentitems") == (0, 0)
    assert await alice.counts("inbox") == (0, 0)
    assert await alice.counts("drafts") == (0, 0)


async def test_a_delegated_token_reaches_its_own_mailbox_through_users(client: httpx.AsyncClient,
                                                                       alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Mine")
    own = Mailbox(client, "/v1.0/users/ALICE@contoso.test", alice.headers)
    response = await own.get(f"messages/{draft['id']}")
    assert response.status_code == 200 and response.json()["subject"] == "Mine"


async def test_an_application_cannot_reach_a_mailbox_of_another_tenant(client: httpx.AsyncClient, tokens: TokenMint,
                                                                       db: Database) -> None:
    await directory.add_tenant(db, "fabrikam.test", "Fabrikam")
    await directory.add_user(db, ZOE, None)
    contoso_app = await as_application(client, tokens, ZOE, domain="contoso.test")
    error = assert_graph_error(await contoso_app.get("messages"), 404, "ErrorInvalidUser")
    assert error["message"] == f"The requested user '{ZOE}' is invalid."
    assert_graph_error(await contoso_app.send_mail({"subject": "x", "toRecipients": recipients(ZOE)}),
                       404, "ErrorInvalidUser")
    fabrikam_app = await as_application(client, tokens, ALICE, domain="fabrikam.test")
    assert_graph_error(await fabrikam_app.get("mailFolders/inbox"), 404, "ErrorInvalidUser")
    zoe = await delegated(client, tokens, ZOE)
    assert await zoe.counts("sentitems") == (0, 0)
    assert await zoe.counts("inbox") == (0, 0)


async def test_an_unknown_user_in_a_mail_path_is_an_invalid_user(client: httpx.AsyncClient,
                                                                 tokens: TokenMint) -> None:
    nobody = await as_application(client, tokens, "nobody@contoso.test")
    error = assert_graph_error(await nobody.get("messages"), 404, "ErrorInvalidUser")
    assert error["message"] == "The requested user 'nobody@contoso.test' is invalid."
    assert_graph_error(await nobody.get("mailFolders"), 404, "ErrorInvalidUser")
    assert_graph_error(await nobody.send_mail({"subject": "x", "toRecipients": recipients(BOB)}),
                       404, "ErrorInvalidUser")


@pytest.mark.parametrize("version", ["v1.0", "beta"])
async def test_an_application_with_mail_send_sends_as_any_user_of_its_tenant(
        client: httpx.AsyncClient, tokens: TokenMint, alice: Mailbox, bob: Mailbox, version: str) -> None:
    as_bob = await as_application(client, tokens, BOB, version, permissions=("Mail.Send",))
    response = await as_bob.send_mail({"subject": "From Bob's mailbox", "toRecipients": recipients(ALICE)})
    assert response.status_code == 202, response.text
    assert_graph_error(await as_bob.get("messages"), 403, "ErrorAccessDenied")
    assert await bob.counts("sentitems") == (1, 0)
    [sent] = await bob.messages_in("sentitems")
    assert addresses([sent["from"]]) == [BOB] and addresses([sent["sender"]]) == [BOB]
    assert await alice.counts("inbox") == (1, 1)
    [received] = await alice.messages_in("inbox")
    assert addresses([received["from"]]) == [BOB]
    assert received["internetMessageId"] == sent["internetMessageId"]
    assert await alice.counts("sentitems") == (0, 0)


async def test_an_application_with_mail_read_cannot_write(client: httpx.AsyncClient, tokens: TokenMint,
                                                          alice: Mailbox) -> None:
    reader = await as_application(client, tokens, ALICE, permissions=("Mail.Read",))
    assert (await reader.get("messages")).status_code == 200
    assert_graph_error(await reader.post("messages", json={"subject": "no"}), 403, "ErrorAccessDenied")
    assert_graph_error(await reader.send_mail({"subject": "no", "toRecipients": recipients(BOB)}),
                       403, "ErrorAccessDenied")
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("sentitems") == (0, 0)


@pytest.mark.parametrize("method, tail", [("GET", "messages"), ("POST", "messages"), ("GET", "mailFolders"),
                                          ("POST", "sendMail")])
async def test_me_with_an_application_token_is_a_bad_request(client: httpx.AsyncClient, tokens: TokenMint,
                                                             method: str, tail: str) -> None:
    token = await tokens.app(("Mail.ReadWrite", "Mail.Send"))
    json = {"subject": "x"} if tail == "messages" else {"message": {"subject": "x", "toRecipients": recipients(BOB)}}
    response = await client.request(method, f"/v1.0/me/{tail}", headers=app_headers(token),
                                    json=json if method == "POST" else None)
    error = assert_graph_error(response, 400, "BadRequest")
    assert error["message"] == "/me request is only valid with delegated authentication flow."
