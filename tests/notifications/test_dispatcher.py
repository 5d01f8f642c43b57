"""The notification queue and its dispatcher, on both backends: a change written to the mailbox
change log queues one notification per subscription that watches it (the trigger of migration
0013, in the change's transaction), and the dispatcher POSTs it as Graph does, retries it, drops
it with a lifecycle `missed`, and sends the other lifecycle events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator

import httpx
import pytest
import sqlalchemy as sa

from graphpost.delivery.retry import RetrySchedule
from graphpost.directory import service as directory
from graphpost.notifications.dispatcher import NotificationDispatcher
from graphpost.store import notification_queue
from graphpost.store.database import Database
from graphpost.store.types import UTCDateTime
from tests.api.mail_helpers import ALICE, Mailbox
from tests.notifications.receiver import WebhookReceiver
from tests.tokens import TokenMint

# The change log's columns, written here directly where a test needs changes no API call makes.
CHANGES = sa.table("mailbox_changes", sa.column("user_id"), sa.column("kind"), sa.column("item_id"),
                   sa.column("folder_id"), sa.column("change_type"), sa.column("txid"),
                   sa.column("changed_at", UTCDateTime))


def _in(minutes: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


async def _subscribe(client: httpx.AsyncClient, headers: dict[str, str], webhook: WebhookReceiver,
                     **body: Any) -> dict[str, Any]:
    payload = {"changeType": "created,updated,deleted", "notificationUrl": webhook.url("notify"),
               "resource": "me/messages", "expirationDateTime": _in(120), "clientState": "kept secret", **body}
    response = await client.post("/v1.0/subscriptions", headers=headers, json=payload)
    assert response.status_code == 201, response.text
    return response.json()


async def _change(db: Database, user_id: str, kind: str, item_id: str, folder_id: str, change_type: str) -> None:
    async with db.write() as conn:
        await conn.execute(CHANGES.insert().values(user_id=user_id, kind=kind, item_id=item_id, folder_id=folder_id,
                                                   change_type=change_type, txid=1,
                                                   changed_at=datetime.now(timezone.utc)))


@pytest.fixture
async def dispatcher(db: Database) -> AsyncIterator[NotificationDispatcher]:
    async with httpx.AsyncClient() as client:
        yield NotificationDispatcher(db, client, RetrySchedule(timedelta(milliseconds=1), timedelta(milliseconds=1),
                                                               timedelta(hours=4)))


async def _user_id(db: Database, upn: str) -> str:
    from graphpost.store import directory as rows
    async with db.read() as conn:
        found = await rows.user_by_upn(conn, upn)
    assert found is not None
    return found.id


async def test_a_change_is_posted_as_graph_posts_it(
        client: httpx.AsyncClient, alice: Mailbox, tokens: TokenMint, db: Database, webhook: WebhookReceiver,
        dispatcher: NotificationDispatcher) -> None:
    subscription = await _subscribe(client, await tokens.header(ALICE), webhook,
                                    resource="me/mailFolders('inbox')/messages")
    # The mailbox's own change log (its triggers) records the delivery; the queue follows in its transaction.
    await alice.send_mail({"subject": "Hello", "toRecipients": [{"emailAddress": {"address": ALICE}}]})
    message = await alice.only_message_in("inbox")
    user_id = await _user_id(db, ALICE)

    assert await dispatcher.run_once() == 1
    [item] = webhook.items()
    assert item["subscriptionId"] == subscription["id"] and item["changeType"] == "created"
    assert item["clientState"] == "kept secret" and item["tenantId"]
    assert item["resource"] == f"Users/{user_id}/Messages/{message['id']}"
    assert item["resourceData"] == {"@odata.type": "#Microsoft.Graph.Message",
                                    "@odata.id": f"Users/{user_id}/Messages/{message['id']}",
                                    "@odata.etag": message["@odata.etag"], "id": message["id"]}
    assert datetime.fromisoformat(item["subscriptionExpirationDateTime"]) == datetime.fromisoformat(
        subscription["expirationDateTime"])
    async with db.read() as conn:
        assert await notification_queue.pending(conn) == 0
    assert await dispatcher.run_once() == 0


async def test_a_notification_id_is_never_given_again(
        client: httpx.AsyncClient, alice: Mailbox, tokens: TokenMint, webhook: WebhookReceiver,
        dispatcher: NotificationDispatcher) -> None:
    # Each notification leaves the queue before the next is queued: an id made from a reused row id
    # (SQLite without AUTOINCREMENT) would come again, and a receiver that drops repeats would lose mail.
    await _subscribe(client, await tokens.header(ALICE), webhook, resource="me/mailFolders('inbox')/messages")
    for subject in ("one", "two", "three"):
        await alice.send_mail({"subject": subject, "toRecipients": [{"emailAddress": {"address": ALICE}}]})
        assert await dispatcher.run_once() == 1
    assert len({item["id"] for item in webhook.items()}) == 3


async def test_only_the_subscriptions_that_watch_a_change_are_notified(
        client: httpx.AsyncClient, alice: Mailbox, tokens: TokenMint, db: Database, webhook: WebhookReceiver,
        dispatcher: NotificationDispatcher) -> None:
    headers = await tokens.header(ALICE)
    inbox, drafts = await alice.folder("inbox"), await alice.folder("drafts")
    everything = await _subscribe(client, headers, webhook)
    in_inbox = await _subscribe(client, headers, webhook, resource="me/mailFolders('inbox')/messages")
    deleted_only = await _subscribe(client, headers, webhook, changeType="deleted")
    folders = await _subscribe(client, headers, webhook, resource="me/mailFolders", changeType="created")
    user_id = await _user_id(db, ALICE)
    bob_id = await _user_id(db, "bob@contoso.test")
    await _change(db, user_id, "message", "AAMkM1", inbox["id"], "created")
    await _change(db, user_id, "message", "AAMkM2", drafts["id"], "updated")
    await _change(db, user_id, "message", "AAMkM3", drafts["id"], "deleted")
    await _change(db, user_id, "folder", "AAMkF1", "root", "created")
    await _change(db, bob_id, "message", "AAMkB1", "elsewhere", "created")

    await dispatcher.run_once()
    seen = sorted((item["subscriptionId"], item["resourceData"]["id"], item["changeType"]) for item in webhook.items())
    assert seen == sorted([
        (everything["id"], "AAMkM1", "created"), (everything["id"], "AAMkM2", "updated"),
        (everything["id"], "AAMkM3", "deleted"), (in_inbox["id"], "AAMkM1", "created"),
        (deleted_only["id"], "AAMkM3", "deleted"), (folders["id"], "AAMkF1", "created")])
    folder_item = next(item for item in webhook.items() if item["subscriptionId"] == folders["id"])
    assert folder_item["resourceData"]["@odata.type"] == "#Microsoft.Graph.MailFolder"
    # One POST to the one URL: notifications of several subscriptions share a body.
    assert len(webhook.received.bodies) == 1


async def test_a_refused_notification_is_retried_then_dropped_with_a_missed_lifecycle_event(
        client: httpx.AsyncClient, alice: Mailbox, tokens: TokenMint, db: Database, webhook: WebhookReceiver) -> None:
    subscription = await _subscribe(client, await tokens.header(ALICE), webhook,
                                    lifecycleNotificationUrl=webhook.url("lifecycle"))
    await _change(db, await _user_id(db, ALICE), "message", "AAMkM1", "F", "created")
    webhook.status = 503
    async with httpx.AsyncClient() as http:
        # Retries every millisecond, for three attempts' worth of time.
        schedule = RetrySchedule(timedelta(0), timedelta(0), timedelta(0))
        retrying = NotificationDispatcher(db, http, RetrySchedule(timedelta(0), timedelta(0), timedelta(hours=4)))
        await retrying.run_once()
        await retrying.run_once()
        assert webhook.received.refused == 2
        async with db.read() as conn:
            assert await notification_queue.pending(conn, subscription["id"]) == 1
        giving_up = NotificationDispatcher(db, http, schedule)
        await giving_up.run_once()   # the third refusal is the last: dropped, `missed` queued
        assert webhook.received.refused == 3
        webhook.status = 202
        await giving_up.run_once()
    [missed] = webhook.items()
    assert missed["lifecycleEvent"] == "missed" and missed["subscriptionId"] == subscription["id"]
    assert missed["clientState"] == "kept secret" and "changeType" not in missed
    async with db.read() as conn:
        assert await notification_queue.pending(conn) == 0


async def test_an_expired_subscription_gets_nothing_and_is_cleaned_up(
        client: httpx.AsyncClient, alice: Mailbox, tokens: TokenMint, db: Database, webhook: WebhookReceiver,
        dispatcher: NotificationDispatcher) -> None:
    headers = await tokens.header(ALICE)
    subscription = await _subscribe(client, headers, webhook)
    async with db.write() as conn:
        await conn.execute(sa.text("UPDATE subscriptions SET expires_at = :at").bindparams(
            sa.bindparam("at", datetime.now(timezone.utc) - timedelta(seconds=1), UTCDateTime)))
    await _change(db, await _user_id(db, ALICE), "message", "AAMkM1", "F", "created")
    async with db.read() as conn:
        assert await notification_queue.pending(conn) == 0
    await dispatcher.sweep()
    async with db.read() as conn:
        assert (await conn.execute(sa.text("SELECT count(*) FROM subscriptions"))).scalar_one() == 0
    assert (await client.get(f"/v1.0/subscriptions/{subscription['id']}", headers=headers)).status_code == 404


async def test_lifecycle_events_reauthorization_required_and_subscription_removed(
        client: httpx.AsyncClient, alice: Mailbox, tokens: TokenMint, db: Database, webhook: WebhookReceiver,
        dispatcher: NotificationDispatcher) -> None:
    headers = await tokens.header(ALICE)
    soon = await _subscribe(client, headers, webhook, lifecycleNotificationUrl=webhook.url("lifecycle"),
                            expirationDateTime=_in(50))
    later = await _subscribe(client, headers, webhook, lifecycleNotificationUrl=webhook.url("lifecycle"),
                             expirationDateTime=_in(600))
    dispatcher.reauthorize_before = timedelta(hours=1)
    await dispatcher.sweep()
    await dispatcher.sweep()   # told once, not at every sweep
    await dispatcher.run_once()
    assert [(i["subscriptionId"], i["lifecycleEvent"]) for i in webhook.items()] == [
        (soon["id"], "reauthorizationRequired")]

    await directory.set_user_enabled(db, ALICE, False)
    await dispatcher.sweep()
    await dispatcher.run_once()
    removed = sorted((i["subscriptionId"], i["lifecycleEvent"]) for i in webhook.items()[1:])
    assert removed == sorted([(soon["id"], "subscriptionRemoved"), (later["id"], "subscriptionRemoved")])
    await dispatcher.sweep()
    async with db.read() as conn:
        assert (await conn.execute(sa.text("SELECT count(*) FROM subscriptions"))).scalar_one() == 0


async def test_a_rich_notification_carries_the_message_encrypted_for_the_certificate(
        client: httpx.AsyncClient, alice: Mailbox, tokens: TokenMint, db: Database, webhook: WebhookReceiver,
        signing_key_file: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    from graphpost.api.resources import message_resource
    from graphpost.auth import keys
    from graphpost.notifications.rich import RichContent
    from tests.notifications.test_encryption import _base64_der, _certificate, decrypt_as_documented

    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _base64_der(_certificate(private_key.public_key(), private_key))
    subscription = await _subscribe(client, await tokens.header(ALICE), webhook,
                                    resource="me/mailFolders('inbox')/messages?$select=subject",
                                    changeType="created", includeResourceData=True, expirationDateTime=_in(600),
                                    encryptionCertificate=certificate, encryptionCertificateId="receiver-key-1")
    assert subscription["includeResourceData"] is True and subscription["encryptionCertificateId"] == "receiver-key-1"
    await alice.send_mail({"subject": "Rich", "toRecipients": [{"emailAddress": {"address": ALICE}}]})

    rich = RichContent(db, lambda message: message_resource(message, "https://outlook.office365.com"),
                       keys.load_or_create(signing_key_file.parent))
    async with httpx.AsyncClient() as http:
        assert await NotificationDispatcher(db, http, rich=rich).run_once() == 1
    [body] = webhook.received.bodies
    [item] = body["value"]
    content = decrypt_as_documented(item["encryptedContent"], private_key)
    # What the resource's $select names, with the item's id and etag.
    assert set(content) == {"@odata.type", "@odata.id", "@odata.etag", "id", "subject"}
    assert content["subject"] == "Rich" and content["id"] == item["resourceData"]["id"]
    assert item["encryptedContent"]["encryptionCertificateId"] == "receiver-key-1"
    assert len(body["validationTokens"]) == 1
