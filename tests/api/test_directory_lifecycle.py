"""What a running API does with users that the CLI disabled or removed."""

import httpx

from graphpost.directory import service as directory
from graphpost.store.database import Database
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import BOB, CAROL, Mailbox, delegated, recipients
from tests.tokens import TokenMint


async def test_a_disabled_users_token_is_refused_and_accepted_again_once_enabled(
        client: httpx.AsyncClient, tokens: TokenMint, db: Database) -> None:
    await directory.add_user(db, CAROL, None)
    header = await tokens.header(CAROL)
    await directory.set_user_enabled(db, CAROL, False)
    assert_graph_error(await client.get("/v1.0/me", headers=header), 401, "InvalidAuthenticationToken")
    await directory.set_user_enabled(db, CAROL, True)
    assert (await client.get("/v1.0/me", headers=header)).status_code == 200


async def test_a_disabled_user_still_receives_mail(client: httpx.AsyncClient, alice: Mailbox, tokens: TokenMint,
                                                   db: Database) -> None:
    # As in Microsoft 365, where blocking sign-in "doesn't stop the account from receiving email".
    await directory.set_user_enabled(db, BOB, False)
    sent = await alice.send_mail({"subject": "Still here", "toRecipients": recipients(BOB)})
    assert sent.status_code == 202
    await directory.set_user_enabled(db, BOB, True)
    bob = await delegated(client, tokens, BOB)
    assert (await bob.only_message_in("inbox"))["subject"] == "Still here"


async def test_a_removed_users_token_is_refused(client: httpx.AsyncClient, tokens: TokenMint, db: Database) -> None:
    await directory.add_user(db, CAROL, None)
    header = await tokens.header(CAROL)
    await directory.remove_user(db, CAROL)
    assert_graph_error(await client.get("/v1.0/me", headers=header), 401, "InvalidAuthenticationToken")


async def test_mail_to_a_user_removed_while_remembered_as_local_is_accepted(alice: Mailbox, carol: Mailbox,
                                                                          db: Database) -> None:
    # The first send makes the app remember Carol's Inbox; removing her deletes it underneath.
    assert (await alice.send_mail({"subject": "one", "toRecipients": recipients(CAROL)})).status_code == 202
    await directory.remove_user(db, CAROL)
    assert (await alice.send_mail({"subject": "two", "toRecipients": recipients(CAROL)})).status_code == 202
    draft = await alice.create_draft(subject="three", toRecipients=recipients(CAROL))
    assert (await alice.send(draft["id"])).status_code == 202
    assert sorted(message["subject"] for message in await alice.messages_in("sentitems")) == ["one", "three", "two"]


async def test_a_draft_to_a_user_removed_while_remembered_as_local_is_sent(alice: Mailbox, carol: Mailbox,
                                                                          db: Database) -> None:
    first = await alice.create_draft(subject="one", toRecipients=recipients(CAROL))
    assert (await alice.send(first["id"])).status_code == 202
    await directory.remove_user(db, CAROL)
    second = await alice.create_draft(subject="two", toRecipients=recipients(CAROL))
    assert (await alice.send(second["id"])).status_code == 202
    assert sorted(message["subject"] for message in await alice.messages_in("sentitems")) == ["one", "two"]


async def test_send_mail_from_a_user_removed_while_its_token_is_remembered_is_a_401(bob: Mailbox, carol: Mailbox,
                                                                                   db: Database) -> None:
    # Carol's first request makes the app remember her (directory/recent.py) for a few seconds.
    assert (await carol.send_mail({"subject": "one", "toRecipients": recipients(BOB)})).status_code == 202
    await directory.remove_user(db, CAROL)
    response = await carol.send_mail({"subject": "two", "toRecipients": recipients(BOB)})
    assert_graph_error(response, 401, "InvalidAuthenticationToken")
    assert [message["subject"] for message in await bob.messages_in("inbox")] == ["one"]
