"""POST/GET/PATCH/DELETE /subscriptions against a real webhook receiver, on both backends: the
validation handshake as Graph does it, and Graph's refusals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from graphpost.store.database import Database
from tests.api.mail_helpers import ALICE, BOB
from tests.notifications.receiver import WebhookReceiver
from tests.tokens import TokenMint


@dataclass(frozen=True)
class Minutes:
    """An expiry this many minutes after the moment the test runs."""
    minutes: float


def _in(minutes: float) -> str:
    return (datetime.now(timezone.utc) + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _body(webhook: WebhookReceiver, **changes: Any) -> dict[str, Any]:
    return {"changeType": "created,updated", "notificationUrl": webhook.url("notify?tenant=contoso"),
            "resource": "me/mailFolders('inbox')/messages", "expirationDateTime": _in(60),
            "clientState": "secret", **changes}


def _error(response: httpx.Response, status: int) -> tuple[str, str]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    return error["code"], error["message"]


async def test_create_validates_the_endpoint_and_answers_the_subscription(
        client: httpx.AsyncClient, tokens: TokenMint, webhook: WebhookReceiver) -> None:
    headers = await tokens.header(ALICE)
    response = await client.post("/v1.0/subscriptions", headers=headers, json=_body(webhook))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["@odata.context"] == "http://graph.test/v1.0/$metadata#subscriptions/$entity"
    assert created["changeType"] == "created,updated" and created["clientState"] == "secret"
    assert created["resource"] == "me/mailFolders('inbox')/messages"
    assert created["notificationUrl"] == webhook.url("notify?tenant=contoso")
    assert created["latestSupportedTlsVersion"] == "v1_2" and created["includeResourceData"] is False
    # One validation, with Graph's kind of token (spaces and a colon), received decoded.
    assert len(webhook.received.validations) == 1
    assert webhook.received.validations[0].startswith("Validation: Testing client application reachability")

    listed = (await client.get("/beta/subscriptions", headers=headers)).json()["value"]
    assert [item["id"] for item in listed] == [created["id"]]
    fetched = (await client.get(f"/v1.0/subscriptions/{created['id']}", headers=headers)).json()
    assert fetched["expirationDateTime"] == created["expirationDateTime"]

    later = _in(24 * 60)
    renewed = await client.patch(f"/v1.0/subscriptions/{created['id']}", headers=headers,
                                 json={"expirationDateTime": later})
    assert renewed.status_code == 200
    assert datetime.fromisoformat(renewed.json()["expirationDateTime"]) == datetime.fromisoformat(later)

    assert (await client.post(f"/v1.0/subscriptions/{created['id']}/reauthorize", headers=headers)).status_code == 204
    assert (await client.delete(f"/v1.0/subscriptions/{created['id']}", headers=headers)).status_code == 204
    assert _error(await client.get(f"/v1.0/subscriptions/{created['id']}", headers=headers), 404) == (
        "ResourceNotFound", "The object was not found.")
    assert (await client.get("/v1.0/subscriptions", headers=headers)).json()["value"] == []


async def test_an_expiry_under_45_minutes_is_raised_to_45(
        client: httpx.AsyncClient, tokens: TokenMint, webhook: WebhookReceiver) -> None:
    response = await client.post("/v1.0/subscriptions", headers=await tokens.header(ALICE),
                                 json=_body(webhook, expirationDateTime=_in(5)))
    expires = datetime.fromisoformat(response.json()["expirationDateTime"])
    assert expires - datetime.now(timezone.utc) > timedelta(minutes=44)


@pytest.mark.parametrize(("changes", "code", "message"), [
    ({"expirationDateTime": Minutes(10081)}, "ExtensionError", "Subscription expiration can only be 10080 minutes in the future."),
    ({"expirationDateTime": Minutes(-5)}, "ExtensionError", "Subscription expiration can only be in the future."),
    ({"changeType": "created,moved"}, "InvalidRequest", "Invalid 'changeType' attribute: 'moved'."),
    ({"notificationUrl": "http://example.org/notify"}, "InvalidRequest",
     "NotificationUrl scheme='http' is not supported."),
    ({"notificationUrl": "ftp://example.org/"}, "InvalidRequest", "Invalid notification url='ftp://example.org/'."),
    ({"clientState": "x" * 129}, "InvalidRequest", "The clientState can be at most 128 characters long."),
    ({"resource": "me/events"}, "InvalidRequest", "Resource 'me/events' is not supported for change notifications."),
    ({"includeResourceData": True}, "InvalidRequest",
     "An encryptionCertificate and an encryptionCertificateId are required when includeResourceData is true."),
    ({"includeResourceData": True, "encryptionCertificate": "bm90IGEgY2VydGlmaWNhdGU=", "encryptionCertificateId": "k"},
     "ValidationError", "Certificate validation error: the data is not an X.509 certificate."),
])
async def test_bad_subscriptions_are_refused_as_graph_refuses_them(
        client: httpx.AsyncClient, tokens: TokenMint, webhook: WebhookReceiver, changes: dict[str, Any], code: str,
        message: str) -> None:
    # An expiry is taken from the clock when the test runs, not when it was collected (minutes before
    # on a long run: 10,081 minutes from then may be 10,079 from now).
    changes = {name: _in(value.minutes) if isinstance(value, Minutes) else value for name, value in changes.items()}
    response = await client.post("/v1.0/subscriptions", headers=await tokens.header(ALICE),
                                 json=_body(webhook, **changes))
    assert _error(response, 400) == (code, message)
    assert webhook.received.validations == []


@pytest.mark.parametrize(("setup", "message"), [
    ("status", "Subscription validation request failed. Notification endpoint must respond with 200 OK to "
               "validation request."),
    ("echo", "Subscription validation request failed. Response must exactly match validationToken query parameter."),
])
async def test_an_endpoint_that_fails_validation_gets_no_subscription(
        client: httpx.AsyncClient, tokens: TokenMint, webhook: WebhookReceiver, setup: str, message: str) -> None:
    if setup == "status":
        webhook.validation_status = 404
    else:
        webhook.echo_token = False
    headers = await tokens.header(ALICE)
    assert _error(await client.post("/v1.0/subscriptions", headers=headers, json=_body(webhook)), 400) == (
        "ValidationError", message)
    assert (await client.get("/v1.0/subscriptions", headers=headers)).json()["value"] == []


async def test_the_lifecycle_url_is_validated_too(
        client: httpx.AsyncClient, tokens: TokenMint, webhook: WebhookReceiver) -> None:
    response = await client.post("/v1.0/subscriptions", headers=await tokens.header(ALICE),
                                 json=_body(webhook, lifecycleNotificationUrl=webhook.url("lifecycle")))
    assert response.status_code == 201
    assert response.json()["lifecycleNotificationUrl"] == webhook.url("lifecycle")
    assert len(webhook.received.validations) == 2


async def test_an_unreachable_endpoint_is_refused(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    from tests.ports import free_port
    body = {"changeType": "created", "notificationUrl": f"http://127.0.0.1:{free_port()}/nobody",
            "resource": "me/messages", "expirationDateTime": _in(60)}
    code, _ = _error(await client.post("/v1.0/subscriptions", headers=await tokens.header(ALICE), json=body), 400)
    assert code == "ValidationError"


async def test_permissions_as_graph_requires_them(
        client: httpx.AsyncClient, tokens: TokenMint, webhook: WebhookReceiver, db: Database) -> None:
    # A read permission is needed; Mail.Send alone is not one, nor are the .Shared ones.
    for scopes in (("Mail.Send",), ("Mail.Read.Shared",)):
        response = await client.post("/v1.0/subscriptions", headers=await tokens.header(ALICE, scopes=scopes),
                                     json=_body(webhook))
        assert _error(response, 403)[0] == "ErrorAccessDenied"
    # Delegated: only the signed-in user's mailbox.
    response = await client.post("/v1.0/subscriptions", headers=await tokens.header(ALICE),
                                 json=_body(webhook, resource=f"users/{BOB}/messages"))
    assert _error(response, 403)[0] == "ErrorAccessDenied"
    assert (await client.post("/v1.0/subscriptions", headers=await tokens.header(ALICE, scopes=("Mail.ReadBasic",)),
                              json=_body(webhook, resource=f"users/{ALICE}/messages"))).status_code == 201
    # An application: any mailbox of its tenant; it sees its own subscriptions, not the user's.
    app = {"Authorization": f"Bearer {await tokens.app(('Mail.Read',))}"}
    response = await client.post("/v1.0/subscriptions", headers=app,
                                 json=_body(webhook, resource=f"users/{BOB}/mailFolders/inbox/messages"))
    assert response.status_code == 201, response.text
    assert [item["id"] for item in (await client.get("/v1.0/subscriptions", headers=app)).json()["value"]] == [
        response.json()["id"]]
    assert _error(await client.post("/v1.0/subscriptions", headers=app, json=_body(webhook)), 400)[1] == (
        "/me request is only valid with delegated authentication flow.")


async def test_a_folder_that_does_not_exist_cannot_be_watched(
        client: httpx.AsyncClient, tokens: TokenMint, webhook: WebhookReceiver) -> None:
    response = await client.post("/v1.0/subscriptions", headers=await tokens.header(ALICE),
                                 json=_body(webhook, resource="me/mailFolders('AAMkNoSuchFolder')/messages"))
    assert response.status_code in (400, 404)
    assert webhook.received.validations == []


async def test_a_mailbox_takes_1000_subscriptions_at_most(
        client: httpx.AsyncClient, tokens: TokenMint, webhook: WebhookReceiver, db: Database) -> None:
    import sqlalchemy as sa

    from graphpost.store.schema import subscriptions
    headers = await tokens.header(ALICE)
    first = (await client.post("/v1.0/subscriptions", headers=headers, json=_body(webhook))).json()
    async with db.write() as conn:
        row = (await conn.execute(sa.select(subscriptions))).one()._asdict()
        await conn.execute(subscriptions.insert(), [{**row, "id": f"{number:08d}-0000-0000-0000-000000000000"}
                                                    for number in range(999)])
    response = await client.post("/v1.0/subscriptions", headers=headers, json=_body(webhook))
    assert _error(response, 403)[0] == "ExtensionError"
    assert (await client.delete(f"/v1.0/subscriptions/{first['id']}", headers=headers)).status_code == 204
    assert (await client.post("/v1.0/subscriptions", headers=headers, json=_body(webhook))).status_code == 201


async def test_another_app_or_user_sees_no_subscription_of_others(
        client: httpx.AsyncClient, tokens: TokenMint, webhook: WebhookReceiver) -> None:
    created = (await client.post("/v1.0/subscriptions", headers=await tokens.header(ALICE), json=_body(webhook))).json()
    others = [{"Authorization": f"Bearer {await tokens.app(('Mail.Read',))}"}, await tokens.header(BOB)]
    for headers in others:
        assert (await client.get("/v1.0/subscriptions", headers=headers)).json()["value"] == []
        for method in ("GET", "PATCH", "DELETE"):
            response = await client.request(method, f"/v1.0/subscriptions/{created['id']}", headers=headers,
                                             json={"expirationDateTime": _in(90)} if method == "PATCH" else None)
            assert _error(response, 404) == ("ResourceNotFound", "The object was not found.")
    assert (await client.get(f"/v1.0/subscriptions/{created['id']}",
                             headers=await tokens.header(ALICE))).status_code == 200
