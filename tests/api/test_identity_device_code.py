"""The device code grant over HTTP: the code, the verification page, the polls' answers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import sqlalchemy as sa

from graphpost.directory.service import NewApp
from graphpost.store.database import Database
from graphpost.store.schema import device_codes
from tests.api.test_identity import BASE, assert_entra_error
from tests.api.test_identity_sign_in import PASSWORD, SCOPE, app, page_token, reads_me, token

__all__ = ["app"]  # fixtures
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


async def start(client: httpx.AsyncClient, tenant: str, app: NewApp) -> dict[str, object]:
    response = await client.post(f"/{tenant}/oauth2/v2.0/devicecode",
                                 data={"client_id": app.app.client_id, "scope": SCOPE})
    assert response.status_code == 200, response.text
    return dict(response.json())


async def approve(client: httpx.AsyncClient, user_code: str, password: str = PASSWORD,
                  action: str = "sign_in") -> httpx.Response:
    page = await client.get("/devicelogin")
    assert page.status_code == 200
    return await client.post("/devicelogin", data={"page_token": page_token(page), "user_code": user_code,
                                                   "username": "alice@contoso.test", "password": password,
                                                   "action": action})


def poll_form(app: NewApp, device_code: object) -> dict[str, str]:
    return {"grant_type": DEVICE_GRANT, "client_id": app.app.client_id, "device_code": str(device_code),
            "client_info": "1"}


async def test_the_code_signs_in_on_the_page_and_the_device_gets_tokens(client: httpx.AsyncClient, tenant_id: str,
                                                                        app: NewApp) -> None:
    flow = await start(client, tenant_id, app)
    assert list(flow) == ["user_code", "device_code", "verification_uri", "expires_in", "interval", "message"]
    assert flow["verification_uri"] == f"{BASE}/devicelogin" and (flow["expires_in"], flow["interval"]) == (900, 5)
    assert re.fullmatch(r"[A-Z0-9]{9}", str(flow["user_code"])) and str(flow["user_code"]) in str(flow["message"])
    assert_entra_error(await token(client, tenant_id, poll_form(app, flow["device_code"])), 400,
                       "authorization_pending", 70016)
    # Polled again at once: too soon.
    assert_entra_error(await token(client, tenant_id, poll_form(app, flow["device_code"])), 400, "slow_down", 70016)
    # The user types the code as they read it, in lower case with a dash.
    typed = str(flow["user_code"]).lower()
    signed = await approve(client, typed[:4] + "-" + typed[4:])
    assert signed.status_code == 200 and "You have signed in" in signed.text
    answer = await token(client, tenant_id, poll_form(app, flow["device_code"]))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {"access_token", "refresh_token", "id_token", "client_info"} <= set(body)
    assert await reads_me(client, body["access_token"]) == "alice@contoso.test"
    assert_entra_error(await token(client, tenant_id, poll_form(app, flow["device_code"])), 400, "invalid_grant", 70000)


async def test_a_declined_code(client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    flow = await start(client, tenant_id, app)
    declined = await approve(client, str(flow["user_code"]), action="cancel")
    assert "declined" in declined.text
    assert_entra_error(await token(client, tenant_id, poll_form(app, flow["device_code"])), 400,
                       "authorization_declined", 70000)


async def test_an_expired_code(client: httpx.AsyncClient, db: Database, tenant_id: str, app: NewApp) -> None:
    flow = await start(client, tenant_id, app)
    async with db.write() as conn:
        await conn.execute(sa.update(device_codes).values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    page = await approve(client, str(flow["user_code"]))
    assert "That code didn" in page.text  # the page no longer takes it
    assert_entra_error(await token(client, tenant_id, poll_form(app, flow["device_code"])), 400, "expired_token", 70019)


async def test_the_page_refuses_a_wrong_password_an_unknown_code_and_a_missing_page_token(
        client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    flow = await start(client, tenant_id, app)
    wrong = await approve(client, str(flow["user_code"]), password="wrong")
    assert "Your account or password is incorrect." in wrong.text
    unknown = await approve(client, "AAAAAAAAA")
    assert "That code didn" in unknown.text
    missing = await client.post("/devicelogin", data={"user_code": str(flow["user_code"]),
                                                      "username": "alice@contoso.test", "password": PASSWORD})
    assert missing.status_code == 400
    assert_entra_error(await token(client, tenant_id, poll_form(app, flow["device_code"])), 400,
                       "authorization_pending", 70016)


@pytest.mark.parametrize(("form", "error", "code"), [
    ({"scope": SCOPE}, "invalid_request", 900144),
    ({"client_id": "00000000-0000-0000-0000-000000000001", "scope": SCOPE}, "unauthorized_client", 700016),
    ({"scope": "https://graph.microsoft.com/Nope.Read"}, "invalid_scope", 70011),
])
async def test_devicecode_refusals(client: httpx.AsyncClient, tenant_id: str, app: NewApp, form: dict[str, str],
                                   error: str, code: int) -> None:
    if "client_id" not in form and error != "invalid_request":
        form = {**form, "client_id": app.app.client_id}
    response = await client.post(f"/{tenant_id}/oauth2/v2.0/devicecode", data=form)
    assert_entra_error(response, 400, error, code)


async def test_a_device_code_of_another_client_or_unknown(client: httpx.AsyncClient, tenant_id: str,
                                                          app: NewApp) -> None:
    flow = await start(client, tenant_id, app)
    other = {**poll_form(app, flow["device_code"]), "client_id": "00000000-0000-0000-0000-000000000001"}
    assert_entra_error(await token(client, tenant_id, other), 400, "invalid_grant", 70000)
    assert_entra_error(await token(client, tenant_id, poll_form(app, "nope")), 400, "invalid_grant", 70000)
