"""The authorization code grant with PKCE through graphpost's sign-in page, and refresh tokens:
every step over HTTP, and every refusal as Entra answers it."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
import sqlalchemy as sa

from graphpost.auth.tokens import TokenVerifier
from graphpost.directory import service as directory
from graphpost.directory.service import NewApp
from graphpost.store.database import Database
from graphpost.store.schema import authorization_codes
from tests.api.test_identity import assert_entra_error
from tests.tokens import TokenMint

PASSWORD = "correct horse battery"
REDIRECT = "http://localhost:8400/callback"
SCOPE = "https://graph.microsoft.com/Mail.Send openid profile offline_access"


@pytest.fixture
async def app(db: Database) -> NewApp:
    await directory.set_password(db, "alice@contoso.test", PASSWORD)
    return await directory.add_app(db, "desktop <app>", ["Mail.Send"], None)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def authorize_params(app: NewApp, challenge: str, **overrides: str) -> dict[str, str]:
    return {"client_id": app.app.client_id, "response_type": "code", "redirect_uri": REDIRECT, "scope": SCOPE,
            "state": "the-state", "code_challenge": challenge, "code_challenge_method": "S256",
            "nonce": "the-nonce", "login_hint": "alice@contoso.test", **overrides}


def page_token(page: httpx.Response) -> str:
    found = re.search(r'name="page_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, tenant: str, params: dict[str, str],
                  password: str = PASSWORD) -> httpx.Response:
    page = await client.get(f"/{tenant}/oauth2/v2.0/authorize", params=params)
    assert page.status_code == 200, page.text
    return await client.post(f"/{tenant}/oauth2/v2.0/authorize", data={
        "page_token": page_token(page), "username": "alice@contoso.test", "password": password,
        "action": "sign_in"})


def redirected(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


async def code_for(client: httpx.AsyncClient, tenant: str, app: NewApp, **overrides: str) -> tuple[str, str]:
    verifier, challenge = pkce()
    answer = redirected(await sign_in(client, tenant, authorize_params(app, challenge, **overrides)))
    assert answer["state"] == "the-state"
    return answer["code"], verifier


def redeem_form(app: NewApp, code: str, verifier: str, **overrides: str) -> dict[str, str]:
    return {"grant_type": "authorization_code", "client_id": app.app.client_id, "code": code,
            "redirect_uri": REDIRECT, "code_verifier": verifier, "scope": SCOPE, "client_info": "1", **overrides}


async def token(client: httpx.AsyncClient, tenant: str, form: dict[str, str]) -> httpx.Response:
    return await client.post(f"/{tenant}/oauth2/v2.0/token", data=form)


async def reads_me(client: httpx.AsyncClient, access_token: str) -> str:
    me = await client.get("/v1.0/me", headers={"Authorization": f"Bearer {access_token}"})
    assert me.status_code == 200, me.text
    return str(me.json()["userPrincipalName"])


async def test_the_page_signs_in_and_the_code_redeems_for_tokens(client: httpx.AsyncClient, tenant_id: str,
                                                                 app: NewApp, tokens: TokenMint) -> None:
    page = await client.get(f"/{tenant_id}/oauth2/v2.0/authorize", params=authorize_params(app, pkce()[1]))
    assert page.headers["content-type"].startswith("text/html")
    assert "desktop &lt;app&gt;" in page.text and "<app>" not in page.text  # escaped
    assert 'value="alice@contoso.test"' in page.text  # login_hint
    assert "HttpOnly" in page.headers["set-cookie"] and "SameSite=strict" in page.headers["set-cookie"]
    code, verifier = await code_for(client, tenant_id, app)
    response = await token(client, tenant_id, redeem_form(app, code, verifier))
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["token_type", "scope", "expires_in", "ext_expires_in", "access_token", "refresh_token",
                          "id_token", "client_info"]
    claims = TokenVerifier(tokens.key).verify(body["access_token"])
    assert (claims["scp"], claims["appid"]) == ("Mail.Send", app.app.client_id)
    id_claims = jwt.decode(body["id_token"], tokens.key.public_key, algorithms=["RS256"], audience=app.app.client_id)
    assert (id_claims["nonce"], id_claims["preferred_username"]) == ("the-nonce", "alice@contoso.test")
    assert await reads_me(client, body["access_token"]) == "alice@contoso.test"


@pytest.mark.parametrize("redirect", ["http://127.0.0.1:5000/", "http://localhost/", "http://[::1]:9/cb?x=1"])
async def test_loopback_redirect_uris_are_accepted(client: httpx.AsyncClient, tenant_id: str, app: NewApp,
                                                   redirect: str) -> None:
    response = await sign_in(client, "organizations", authorize_params(app, pkce()[1], redirect_uri=redirect))
    assert response.status_code == 302 and response.headers["location"].startswith(redirect)
    assert "code=" in response.headers["location"]


@pytest.mark.parametrize("redirect", ["https://evil.example/cb", "http://localhost.evil.example/",
                                      "http://user@localhost/", "javascript:alert(1)", "http://localhost:x/"])
async def test_other_redirect_uris_get_a_page_not_a_redirect(client: httpx.AsyncClient, tenant_id: str,
                                                             app: NewApp, redirect: str) -> None:
    page = await client.get(f"/{tenant_id}/oauth2/v2.0/authorize",
                            params=authorize_params(app, pkce()[1], redirect_uri=redirect))
    assert page.status_code == 400 and "location" not in page.headers
    assert "AADSTS50011" in page.text


async def test_an_unknown_client_gets_a_page(client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    page = await client.get(f"/{tenant_id}/oauth2/v2.0/authorize",
                            params=authorize_params(app, pkce()[1], client_id="00000000-0000-0000-0000-000000000001"))
    assert page.status_code == 400 and "AADSTS700016" in page.text


@pytest.mark.parametrize(("override", "error", "code"), [
    ({"response_type": "token"}, "unsupported_response_type", "70005"),
    ({"scope": "https://graph.microsoft.com/Nope.Read"}, "invalid_scope", "70011"),
    ({"code_challenge_method": "S512"}, "invalid_request", "501491"),
    ({"prompt": "none"}, "login_required", "50058"),
])
async def test_bad_requests_go_back_to_the_redirect_uri(client: httpx.AsyncClient, tenant_id: str, app: NewApp,
                                                        override: dict[str, str], error: str, code: str) -> None:
    page = await client.get(f"/{tenant_id}/oauth2/v2.0/authorize", params=authorize_params(app, pkce()[1], **override))
    answer = redirected(page)
    assert (answer["error"], answer["state"]) == (error, "the-state")
    assert answer["error_description"].startswith(f"AADSTS{code}: ")


async def test_fragment_and_form_post_response_modes(client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    fragment = await sign_in(client, tenant_id, authorize_params(app, pkce()[1], response_mode="fragment"))
    assert fragment.status_code == 302 and fragment.headers["location"].startswith(REDIRECT + "#code=")
    posted = await sign_in(client, tenant_id, authorize_params(app, pkce()[1], response_mode="form_post"))
    assert posted.status_code == 200
    assert f'<form method="post" action="{REDIRECT}">' in posted.text
    assert re.search(r'name="code" value="[^"]+"', posted.text) and 'name="state" value="the-state"' in posted.text


async def test_a_wrong_password_shows_the_page_again(client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    response = await sign_in(client, tenant_id, authorize_params(app, pkce()[1]), password="wrong")
    assert response.status_code == 200 and "location" not in response.headers
    assert "Your account or password is incorrect." in response.text
    # The page token still works: the user tries again on the same page.
    again = await client.post(f"/{tenant_id}/oauth2/v2.0/authorize", data={
        "page_token": page_token(response), "username": "alice@contoso.test", "password": PASSWORD})
    assert "code" in redirected(again)


async def test_cancel_declines(client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    page = await client.get(f"/{tenant_id}/oauth2/v2.0/authorize", params=authorize_params(app, pkce()[1]))
    answer = redirected(await client.post(f"/{tenant_id}/oauth2/v2.0/authorize",
                                          data={"page_token": page_token(page), "action": "cancel"}))
    assert answer["error"] == "access_denied" and answer["error_description"].startswith("AADSTS65004: ")


async def test_a_post_without_the_pages_token_or_cookie_is_refused(client: httpx.AsyncClient, tenant_id: str,
                                                                   app: NewApp) -> None:
    page = await client.get(f"/{tenant_id}/oauth2/v2.0/authorize", params=authorize_params(app, pkce()[1]))
    form = {"page_token": page_token(page), "username": "alice@contoso.test", "password": PASSWORD}
    missing = await client.post(f"/{tenant_id}/oauth2/v2.0/authorize", data={**form, "page_token": ""})
    assert missing.status_code == 400 and "location" not in missing.headers
    forged = await client.post(f"/{tenant_id}/oauth2/v2.0/authorize",
                               data={**form, "page_token": form["page_token"][:-4] + "AAAA"})
    assert forged.status_code == 400
    client.cookies.clear()  # another browser: the page token alone is not enough
    no_cookie = await client.post(f"/{tenant_id}/oauth2/v2.0/authorize", data=form)
    assert no_cookie.status_code == 400 and "location" not in no_cookie.headers


async def test_a_code_is_good_once(client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    code, verifier = await code_for(client, tenant_id, app)
    assert (await token(client, tenant_id, redeem_form(app, code, verifier))).status_code == 200
    assert_entra_error(await token(client, tenant_id, redeem_form(app, code, verifier)), 400, "invalid_grant", 54005)


async def test_an_expired_code_is_refused(client: httpx.AsyncClient, db: Database, tenant_id: str,
                                          app: NewApp) -> None:
    code, verifier = await code_for(client, tenant_id, app)
    async with db.write() as conn:
        await conn.execute(sa.update(authorization_codes).values(
            expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    assert_entra_error(await token(client, tenant_id, redeem_form(app, code, verifier)), 400, "invalid_grant", 70008)


@pytest.mark.parametrize(("override", "error", "code"), [
    ({"code_verifier": secrets.token_urlsafe(48)}, "invalid_grant", 501481),
    ({"code_verifier": ""}, "invalid_grant", 501481),
    ({"redirect_uri": "http://localhost:8401/callback"}, "invalid_grant", 500112),
    ({"client_id": "00000000-0000-0000-0000-000000000001"}, "invalid_grant", 70000),
])
async def test_a_code_redeemed_wrongly_is_refused_and_spent(client: httpx.AsyncClient, tenant_id: str, app: NewApp,
                                                            override: dict[str, str], error: str, code: int) -> None:
    issued, verifier = await code_for(client, tenant_id, app)
    assert_entra_error(await token(client, tenant_id, redeem_form(app, issued, verifier, **override)), 400, error, code)
    assert_entra_error(await token(client, tenant_id, redeem_form(app, issued, verifier)), 400, "invalid_grant", 54005)


async def test_the_code_of_one_app_is_refused_to_another(client: httpx.AsyncClient, db: Database, tenant_id: str,
                                                         app: NewApp) -> None:
    other = await directory.add_app(db, "another app", ["Mail.Send"], None)
    issued, verifier = await code_for(client, tenant_id, app)
    assert_entra_error(await token(client, tenant_id, redeem_form(other, issued, verifier)), 400, "invalid_grant",
                       70000)


async def test_a_plain_challenge_is_accepted(client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    verifier = secrets.token_urlsafe(48)
    params = authorize_params(app, verifier, code_challenge_method="plain")
    answer = redirected(await sign_in(client, tenant_id, params))
    assert (await token(client, tenant_id, redeem_form(app, answer["code"], verifier))).status_code == 200


async def test_refresh_tokens_rotate(client: httpx.AsyncClient, tenant_id: str, app: NewApp,
                                     tokens: TokenMint) -> None:
    code, verifier = await code_for(client, tenant_id, app)
    first = (await token(client, tenant_id, redeem_form(app, code, verifier))).json()
    form = {"grant_type": "refresh_token", "client_id": app.app.client_id, "refresh_token": first["refresh_token"],
            "scope": SCOPE, "client_info": "1"}
    refreshed = await token(client, tenant_id, form)
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["refresh_token"] != first["refresh_token"] and "id_token" in second
    assert await reads_me(client, second["access_token"]) == "alice@contoso.test"
    # The spent token is refused; its successor works.
    assert_entra_error(await token(client, tenant_id, form), 400, "invalid_grant", 50173)
    # A refresh without offline_access still hands out the successor of the token it spends.
    third = await token(client, tenant_id, {**form, "refresh_token": second["refresh_token"],
                                            "scope": "https://graph.microsoft.com/Mail.Send"})
    assert third.status_code == 200, third.text
    assert (await token(client, tenant_id, {**form, "refresh_token": third.json()["refresh_token"]})).status_code == 200


async def test_a_refresh_asks_for_no_more_than_was_consented(client: httpx.AsyncClient, tenant_id: str,
                                                             app: NewApp) -> None:
    code, verifier = await code_for(client, tenant_id, app)
    first = (await token(client, tenant_id, redeem_form(app, code, verifier))).json()
    form = {"grant_type": "refresh_token", "client_id": app.app.client_id, "refresh_token": first["refresh_token"],
            "scope": "https://graph.microsoft.com/Mail.ReadWrite offline_access"}
    assert_entra_error(await token(client, tenant_id, form), 400, "invalid_grant", 65001)
    other = await token(client, tenant_id, {**form, "client_id": "00000000-0000-0000-0000-000000000001",
                                            "scope": SCOPE})
    assert_entra_error(other, 400, "invalid_grant", 70000)
    # Both refusals left the token as it was.
    assert (await token(client, tenant_id, {**form, "scope": SCOPE})).status_code == 200


async def test_refresh_tokens_of_a_disabled_or_removed_user_are_refused(client: httpx.AsyncClient, db: Database,
                                                                        tenant_id: str, app: NewApp) -> None:
    code, verifier = await code_for(client, tenant_id, app)
    first = (await token(client, tenant_id, redeem_form(app, code, verifier))).json()
    code, verifier = await code_for(client, tenant_id, app)
    second = (await token(client, tenant_id, redeem_form(app, code, verifier))).json()
    form = {"grant_type": "refresh_token", "client_id": app.app.client_id, "scope": SCOPE}
    await directory.set_user_enabled(db, "alice@contoso.test", False)
    assert_entra_error(await token(client, tenant_id, {**form, "refresh_token": first["refresh_token"]}), 400,
                       "invalid_grant", 50057)
    await directory.remove_user(db, "alice@contoso.test")
    assert_entra_error(await token(client, tenant_id, {**form, "refresh_token": second["refresh_token"]}), 400,
                       "invalid_grant", 50173)


async def test_the_password_grant_hands_out_a_refresh_token_with_offline_access(client: httpx.AsyncClient,
                                                                                tenant_id: str, app: NewApp) -> None:
    form = {"grant_type": "password", "client_id": app.app.client_id, "username": "alice@contoso.test",
            "password": PASSWORD, "scope": SCOPE}
    body = (await token(client, tenant_id, form)).json()
    refreshed = await token(client, tenant_id, {"grant_type": "refresh_token", "client_id": app.app.client_id,
                                                "refresh_token": body["refresh_token"], "scope": SCOPE})
    assert refreshed.status_code == 200, refreshed.text
    without = (await token(client, tenant_id, {**form, "scope": "https://graph.microsoft.com/Mail.Send"})).json()
    assert "refresh_token" not in without
