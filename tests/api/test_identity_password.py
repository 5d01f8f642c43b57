"""The password grant at the token endpoint (what UsernamePasswordCredential uses): a user with a
password from `graphpost user passwd` gets a delegated token, an id token and client_info; every
refusal is Entra's. Also MSAL's user-realm question that comes first."""

from __future__ import annotations

import base64
import json

import httpx
import jwt
import pytest

from graphpost.auth import clouds
from graphpost.auth.tokens import TokenVerifier
from graphpost.directory import service as directory
from graphpost.directory.service import NewApp
from graphpost.store import directory as rows
from graphpost.store.database import Database
from tests.api.test_identity import BASE, assert_entra_error
from tests.tokens import TokenMint

PASSWORD = "correct horse battery"
MAIL_SEND = "https://graph.microsoft.com/Mail.Send"


@pytest.fixture
async def app(db: Database) -> NewApp:
    await directory.set_password(db, "alice@contoso.test", PASSWORD)
    return await directory.add_app(db, "desktop app", ["Mail.Send"], None)


def password_form(app: NewApp, **overrides: str) -> dict[str, str]:
    # As MSAL sends it: its own OpenID scopes added, client_info asked for.
    return {"grant_type": "password", "client_id": app.app.client_id, "username": "alice@contoso.test",
            "password": PASSWORD, "scope": f"{MAIL_SEND} openid profile offline_access", "client_info": "1",
            **overrides}


async def post(client: httpx.AsyncClient, tenant: str, form: dict[str, str]) -> httpx.Response:
    return await client.post(f"/{tenant}/oauth2/v2.0/token", data=form)


@pytest.mark.parametrize("segment", ["id", "contoso.test", "organizations", "common"])
async def test_a_users_password_gets_a_delegated_token_and_an_id_token(client: httpx.AsyncClient, db: Database,
                                                                       tenant_id: str, app: NewApp,
                                                                       tokens: TokenMint, segment: str) -> None:
    response = await post(client, tenant_id if segment == "id" else segment, password_form(app))
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["token_type", "scope", "expires_in", "ext_expires_in", "access_token", "refresh_token",
                          "id_token", "client_info"]
    assert body["scope"] == f"{MAIL_SEND} openid profile"
    async with db.read() as conn:
        alice = await rows.user_by_upn(conn, "alice@contoso.test")
    assert alice is not None
    claims = TokenVerifier(tokens.key).verify(body["access_token"])
    assert (claims["scp"], claims["oid"], claims["appid"], claims["tid"]) == ("Mail.Send", alice.id,
                                                                              app.app.client_id, tenant_id)
    id_claims = jwt.decode(body["id_token"], tokens.key.public_key, algorithms=["RS256"], audience=app.app.client_id)
    assert (id_claims["iss"], id_claims["preferred_username"], id_claims["oid"]) == (
        f"{BASE}/{tenant_id}/v2.0", "alice@contoso.test", alice.id)
    info = json.loads(base64.urlsafe_b64decode(body["client_info"] + "=" * (-len(body["client_info"]) % 4)))
    assert info == {"uid": alice.id, "utid": tenant_id}
    sent = await client.post("/v1.0/me/sendMail", headers={"Authorization": f"Bearer {body['access_token']}"},
                             json={"message": {"subject": "signed in with a password", "body": {"content": "hi"},
                                               "toRecipients": [{"emailAddress": {"address": "bob@contoso.test"}}]}})
    assert sent.status_code == 202, sent.text


async def test_short_and_default_scopes_are_graphs(client: httpx.AsyncClient, tenant_id: str, app: NewApp,
                                                   tokens: TokenMint) -> None:
    short = await post(client, tenant_id, password_form(app, scope="mail.send User.Read", client_info="0"))
    assert short.status_code == 200 and "client_info" not in short.json()
    assert short.json()["scope"] == "mail.send User.Read"  # as asked: MSAL finds its cached token by these
    assert TokenVerifier(tokens.key).verify(short.json()["access_token"])["scp"] == "Mail.Send User.Read"
    default = await post(client, tenant_id, password_form(app, scope="https://graph.microsoft.com/.default"))
    assert default.json()["scope"] == ("https://graph.microsoft.com/Mail.ReadWrite "
                                       "https://graph.microsoft.com/Mail.Send")
    assert "id_token" not in default.json()


async def test_a_national_clouds_scope_gets_a_delegated_token_for_its_graph(client: httpx.AsyncClient,
                                                                           tenant_id: str, app: NewApp,
                                                                           tokens: TokenMint) -> None:
    response = await client.post(f"https://login.microsoftonline.us/{tenant_id}/oauth2/v2.0/token",
                                  data=password_form(app, scope="https://dod-graph.microsoft.us/.default openid"))
    assert response.status_code == 200, response.text
    claims = TokenVerifier(tokens.key).verify(response.json()["access_token"], clouds.US_GOV_DOD.accepted_audiences)
    assert claims["aud"] == "https://dod-graph.microsoft.us"
    # A short name at the US login host is the US Government L4 Graph's permission.
    short = await client.post(f"https://login.microsoftonline.us/{tenant_id}/oauth2/v2.0/token",
                              data=password_form(app, scope="Mail.Send"))
    assert TokenVerifier(tokens.key).verify(short.json()["access_token"],
                                            clouds.US_GOV.accepted_audiences)["aud"] == clouds.US_GOV.audience
    other = await client.post(f"https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token",
                              data=password_form(app, scope="https://microsoftgraph.chinacloudapi.cn/Mail.Send"))
    assert other.status_code == 400 and other.json()["error_codes"] == [500011]


async def test_a_confidential_client_proves_itself(client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    assert (await post(client, tenant_id, password_form(app, client_secret=app.secret))).status_code == 200
    wrong = await post(client, tenant_id, password_form(app, client_secret="not-it"))
    assert_entra_error(wrong, 401, "invalid_client", 7000215)


async def test_a_wrong_password_or_none_is_invalid_grant(client: httpx.AsyncClient, tenant_id: str,
                                                         app: NewApp) -> None:
    wrong = await post(client, tenant_id, password_form(app, password="wrong horse battery"))
    assert_entra_error(wrong, 400, "invalid_grant", 50126)
    never_set = await post(client, tenant_id, password_form(app, username="bob@contoso.test"))
    assert_entra_error(never_set, 400, "invalid_grant", 50126)


async def test_an_unknown_user_or_one_of_another_tenant_does_not_exist_here(client: httpx.AsyncClient, db: Database,
                                                                            tenant_id: str, app: NewApp) -> None:
    unknown = await post(client, tenant_id, password_form(app, username="nobody@contoso.test"))
    assert_entra_error(unknown, 400, "invalid_grant", 50034)
    await directory.add_tenant(db, "fabrikam.test", None)
    elsewhere = await post(client, "fabrikam.test", password_form(app))
    assert_entra_error(elsewhere, 400, "invalid_grant", 50034)


async def test_a_disabled_user_cannot_sign_in(client: httpx.AsyncClient, db: Database, tenant_id: str,
                                              app: NewApp) -> None:
    await directory.set_user_enabled(db, "alice@contoso.test", False)
    assert_entra_error(await post(client, tenant_id, password_form(app)), 400, "invalid_grant", 50057)


async def test_an_app_of_another_tenant_is_unknown_to_the_users(client: httpx.AsyncClient, db: Database,
                                                                tenant_id: str, app: NewApp) -> None:
    await directory.add_tenant(db, "fabrikam.test", None)
    theirs = await directory.add_app(db, "theirs", ["Mail.Send"], "fabrikam.test")
    response = await post(client, "organizations", password_form(app, client_id=theirs.app.client_id))
    assert_entra_error(response, 400, "unauthorized_client", 700016)


@pytest.mark.parametrize(("overrides", "error", "code"), [
    ({"username": ""}, "invalid_request", 900144),
    ({"username": "alice\x00@contoso.test"}, "invalid_grant", 50034),
    ({"password": ""}, "invalid_request", 900144),
    ({"scope": "https://graph.microsoft.com/Mail.Fly"}, "invalid_scope", 70011),
    ({"scope": "https://management.azure.com/user_impersonation"}, "invalid_resource", 500011),
    ({"scope": f"{MAIL_SEND} https://management.azure.com/user_impersonation"}, "invalid_scope", 28000),
])
async def test_bad_parameters_are_refused(client: httpx.AsyncClient, tenant_id: str, app: NewApp,
                                          overrides: dict[str, str], error: str, code: int) -> None:
    assert_entra_error(await post(client, tenant_id, password_form(app, **overrides)), 400, error, code)


async def test_user_realm_says_which_domains_are_managed_here(client: httpx.AsyncClient) -> None:
    managed = (await client.get("/common/userrealm/alice@CONTOSO.test", params={"api-version": "1.0"})).json()
    assert (managed["account_type"], managed["domain_name"]) == ("Managed", "contoso.test")
    unknown = (await client.get("/common/userrealm/someone@elsewhere.test")).json()
    assert unknown["account_type"] == "Unknown" and "domain_name" not in unknown
