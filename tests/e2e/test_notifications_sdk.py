"""Change notifications end to end: msgraph-sdk subscribes a real webhook receiver (Starlette on a
free port) to a real `graphpost serve`, which validates it and then POSTs `created` for sendMail
and for mail received over SMTP, `updated` for a PATCH of isRead, `deleted` for a DELETE, and
retries what the receiver answers with 503. Then `kill -9` between changes and their
notifications: after the restart every one of them arrives."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Iterator

import aiosmtplib
import httpx
import pytest
from msgraph.generated.models.message import Message
from msgraph.generated.models.subscription import Subscription

from tests.e2e.conftest import SdkClients, backend_url
from tests.e2e.server import ServerProcess
from tests.notifications.receiver import WebhookReceiver
from tests.ports import free_port

pytestmark = pytest.mark.e2e

ALICE = "alice@contoso.test"
# Retries a fifth of a second apart, so that a test sees them; leases short enough to outlive a kill.
FAST_RETRIES = {"GRAPHPOST_NOTIFICATION_RETRY_FIRST": "0.2s", "GRAPHPOST_NOTIFICATION_RETRY_MAX": "0.2s",
                "GRAPHPOST_DELIVERY_LEASE": "2s"}


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def notifying_server(data_dir: Path, smtp_port: int) -> Iterator[ServerProcess]:
    with ServerProcess(data_dir, env=FAST_RETRIES, serve_args=["--smtp-port", str(smtp_port)]) as running:
        yield running


@pytest.fixture
def notifying_server_on_each_backend(request: pytest.FixtureRequest, backend: str, data_dir: Path,
                                     smtp_port: int) -> Iterator[ServerProcess]:
    with ServerProcess(data_dir, backend_url(request, backend), env=FAST_RETRIES, serve_args=["--smtp-port", str(smtp_port)]) as running:
        yield running


def _of(items: list[dict[str, Any]], change: str) -> list[dict[str, Any]]:
    return [item for item in items if item.get("changeType") == change]


async def _subscribe(sdk: SdkClients, server: ServerProcess, webhook: WebhookReceiver) -> Subscription:
    client = sdk.v1(server.token(ALICE))
    return await client.subscriptions.post(Subscription(
        change_type="created,updated,deleted", notification_url=webhook.url("graph?source=e2e"),
        resource="me/mailFolders('inbox')/messages", client_state="e2e state",
        expiration_date_time=datetime.now(timezone.utc) + timedelta(hours=2)))


def _mail(subject: str) -> dict[str, Any]:
    return {"message": {"subject": subject, "toRecipients": [{"emailAddress": {"address": ALICE}}]}}


async def test_an_sdk_subscription_sees_every_kind_of_change(
        notifying_server: ServerProcess, webhook: WebhookReceiver, smtp_port: int) -> None:
    server = notifying_server
    sdk = SdkClients(server)
    try:
        subscription = await _subscribe(sdk, server, webhook)
        assert subscription.id and subscription.client_state == "e2e state"
        assert len(webhook.received.validations) == 1
        token = server.token(ALICE)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=10) as http:
            assert (await http.post("/v1.0/me/sendMail", json=_mail("sent"))).status_code == 202
            [sent] = _of(await webhook.wait_for_async(1), "created")
            assert sent["subscriptionId"] == subscription.id and sent["clientState"] == "e2e state"

            inbound = EmailMessage()
            inbound["From"], inbound["To"], inbound["Subject"] = "someone@example.org", ALICE, "over smtp"
            inbound.set_content("hello")
            await aiosmtplib.send(inbound, hostname="127.0.0.1", port=smtp_port)
            received = _of(await webhook.wait_for_async(2), "created")[1]
            message_id = received["resourceData"]["id"]
            fetched = (await http.get(f"/v1.0/me/messages/{message_id}")).json()
            assert fetched["subject"] == "over smtp"

            client = sdk.v1(token)
            await client.me.messages.by_message_id(message_id).patch(Message(is_read=True))
            [updated] = _of(await webhook.wait_for_async(3), "updated")
            assert updated["resourceData"]["id"] == message_id

            await client.me.messages.by_message_id(message_id).delete()
            [deleted] = _of(await webhook.wait_for_async(4), "deleted")
            assert deleted["resourceData"]["id"] == message_id

            webhook.status = 503
            assert (await http.post("/v1.0/me/sendMail", json=_mail("retried"))).status_code == 202
            await asyncio.to_thread(webhook.wait_for_refusals, 2)
            webhook.status = 202
            later = _of(await webhook.wait_for_async(5), "created")
            assert len(later) == 3 and later[2]["id"] not in {item["id"] for item in later[:2]}
    finally:
        await sdk.aclose()


async def test_notifications_survive_kill_9(notifying_server_on_each_backend: ServerProcess,
                                           webhook: WebhookReceiver) -> None:
    server = notifying_server_on_each_backend
    sdk = SdkClients(server)
    try:
        await _subscribe(sdk, server, webhook)
    finally:
        await sdk.aclose()
    webhook.status = 503   # nothing is taken before the kill: every notification is still queued then
    subjects = [f"crash {number}" for number in range(20)]
    headers = {"Authorization": f"Bearer {server.token(ALICE)}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=10) as http:
        for subject in subjects:
            assert (await http.post("/v1.0/me/sendMail", json=_mail(subject))).status_code == 202
    await asyncio.to_thread(webhook.wait_for_refusals, 1)
    server.kill()
    webhook.status = 202
    server.restart()
    items = await webhook.wait_for_async(len(subjects), timeout=30)
    # At least once: a POST the receiver took just before the kill may come again; never one missing.
    assert len({item["resourceData"]["id"] for item in _of(items, "created")}) == len(subjects)


async def test_an_sdk_rich_subscription_is_decrypted_with_microsofts_steps(
        notifying_server: ServerProcess, webhook: WebhookReceiver) -> None:
    """includeResourceData through msgraph-sdk: the receiver decrypts the message with the documented
    steps (tests/notifications/test_encryption.py) and verifies the validation token against the
    server's published keys, as Microsoft's samples verify Graph's."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    import jwt

    from tests.notifications.test_encryption import _base64_der, _certificate, decrypt_as_documented

    server = notifying_server
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sdk = SdkClients(server)
    try:
        subscription = await sdk.v1(server.token(ALICE)).subscriptions.post(Subscription(
            change_type="created", notification_url=webhook.url("rich"),
            resource="me/mailFolders('inbox')/messages?$select=subject,from",
            include_resource_data=True, encryption_certificate=_base64_der(_certificate(private_key.public_key(),
                                                                                        private_key)),
            encryption_certificate_id="e2e-key", lifecycle_notification_url=webhook.url("lifecycle"),
            expiration_date_time=datetime.now(timezone.utc) + timedelta(minutes=50)))
    finally:
        await sdk.aclose()
    assert subscription.include_resource_data is True and subscription.application_id
    headers = {"Authorization": f"Bearer {server.token(ALICE)}"}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers, timeout=10) as http:
        assert (await http.post("/v1.0/me/sendMail", json=_mail("encrypted"))).status_code == 202
        [item] = await webhook.wait_for_async(1)
        content = decrypt_as_documented(item["encryptedContent"], private_key)
        assert content["subject"] == "encrypted" and content["id"] == item["resourceData"]["id"]
        assert content["from"]["emailAddress"]["address"] == ALICE
        tenant = item["tenantId"]
        jwks = (await http.get(f"/{tenant}/discovery/v2.0/keys")).json()
    [body] = webhook.received.bodies
    [validation_token] = body["validationTokens"]
    kid = jwt.get_unverified_header(validation_token)["kid"]
    [key] = [jwt.PyJWK(entry) for entry in jwks["keys"] if entry["kid"] == kid]
    claims = jwt.decode(validation_token, key.key, algorithms=["RS256"], audience=subscription.application_id,
                        issuer=f"https://sts.windows.net/{tenant}/")
    assert claims["azp"] == claims["appid"] == "0bf30f3b-4a52-48df-9a82-234910c4a086"
