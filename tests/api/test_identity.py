"""The identity endpoint over HTTP (api/routes/identity.py): discovery documents, signing keys,
and the client-credentials grant with a secret and with a certificate, against the app on both
backends. Refusals are Entra's envelope with its status, error and AADSTS number."""

from __future__ import annotations

import base64
import re
import time
from typing import Any
from urllib.parse import quote_plus

import httpx
import jwt
import pytest

from graphpost.auth import clouds
from graphpost.auth.certificates import load_certificate
from graphpost.auth.tokens import TokenVerifier
from graphpost.directory import service as directory
from graphpost.directory.service import NewApp
from graphpost.store.database import Database
from tests.certificates import KeyPair, assertion, self_signed
from tests.tokens import TokenMint

BASE = "http://graph.test"
GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def assert_entra_error(response: httpx.Response, status: int, error: str, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id",
                         "error_uri"}
    assert body["error"] == error and body["error_codes"] == [code], body
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert body["trace_id"] == response.headers["request-id"]
    assert body["correlation_id"] == response.headers["client-request-id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", body["timestamp"])
    assert body["error_description"].endswith(f"Trace ID: {body['trace_id']} Correlation ID: "
                                              f"{body['correlation_id']} Timestamp: {body['timestamp']}")
    return body


@pytest.fixture
async def app(db: Database) -> NewApp:
    return await directory.add_app(db, "mailer", ["Mail.Send", "Mail.ReadWrite"], None)


@pytest.fixture(scope="module")
def pair() -> KeyPair:
    return self_signed()


@pytest.fixture
async def cert_app(db: Database, pair: KeyPair) -> NewApp:
    return await directory.add_app(db, "cert app", ["Mail.Send"], None,
                                   certificate=load_certificate(pair.cert_pem.encode()))


def token_url(tenant: str) -> str:
    return f"{BASE}/{tenant}/oauth2/v2.0/token"


async def post_token(client: httpx.AsyncClient, tenant: str, **form: str) -> httpx.Response:
    return await client.post(f"/{tenant}/oauth2/v2.0/token", data=form, headers={"client-request-id": "corr-1"})


def secret_form(app: NewApp, **overrides: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": app.app.client_id, "client_secret": app.secret,
            "scope": GRAPH_DEFAULT, **overrides}


def assertion_form(client_id: str, signed: str, **overrides: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_assertion_type": JWT_BEARER,
            "client_assertion": signed, "scope": GRAPH_DEFAULT, **overrides}


# --- discovery

async def test_openid_configuration_names_the_tenant_on_the_host_called(client: httpx.AsyncClient,
                                                                       tenant_id: str) -> None:
    for segment in (tenant_id, tenant_id.upper(), "CONTOSO.test"):
        response = await client.get(f"/{segment}/v2.0/.well-known/openid-configuration")
        assert response.status_code == 200
        config = response.json()
        assert config["token_endpoint"] == token_url(tenant_id)
        assert config["authorization_endpoint"] == f"{BASE}/{tenant_id}/oauth2/v2.0/authorize"
        assert config["jwks_uri"] == f"{BASE}/{tenant_id}/discovery/v2.0/keys"
        assert config["issuer"] == f"{BASE}/{tenant_id}/v2.0"
        assert "private_key_jwt" in config["token_endpoint_auth_methods_supported"]


async def test_openid_configuration_follows_the_host_and_scheme_of_the_request(client: httpx.AsyncClient,
                                                                              tenant_id: str) -> None:
    response = await client.get(f"https://login.microsoftonline.com/{tenant_id}/v2.0/.well-known/openid-configuration")
    assert response.json()["token_endpoint"] == f"https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token"


@pytest.mark.parametrize("segment", ["common", "organizations"])
async def test_openid_configuration_of_a_multi_tenant_name_keeps_it(client: httpx.AsyncClient, segment: str) -> None:
    config = (await client.get(f"/{segment}/v2.0/.well-known/openid-configuration")).json()
    assert config["token_endpoint"] == token_url(segment)
    assert config["issuer"] == f"{BASE}/{{tenantid}}/v2.0"


@pytest.mark.parametrize("segment", ["8a4f6a4e-5d8e-4b7a-9f1c-2a3b4c5d6e7f", "nowhere.test", "x" * 300])
async def test_an_unknown_tenant_is_invalid_tenant(client: httpx.AsyncClient, segment: str) -> None:
    for path in (f"/{segment}/v2.0/.well-known/openid-configuration", f"/{segment}/discovery/v2.0/keys"):
        response = await client.get(path, headers={"client-request-id": "abc"})
        body = assert_entra_error(response, 400, "invalid_tenant", 90002)
        assert body["correlation_id"] == "abc"
        assert body["error_uri"] == f"{BASE}/error?code=90002"


async def test_keys_verify_the_tokens_of_the_token_endpoint(client: httpx.AsyncClient, tenant_id: str,
                                                            app: NewApp) -> None:
    jwks = (await client.get(f"/{tenant_id}/discovery/v2.0/keys")).json()
    (key,) = jwks["keys"]
    assert key["kty"] == "RSA" and key["use"] == "sig" and key["issuer"] == f"{BASE}/{tenant_id}/v2.0"
    access_token = (await post_token(client, tenant_id, **secret_form(app))).json()["access_token"]
    assert jwt.get_unverified_header(access_token)["kid"] == key["kid"]
    claims = jwt.decode(access_token, jwt.PyJWK(key, algorithm="RS256").key, algorithms=["RS256"],
                        audience="https://graph.microsoft.com")
    assert claims["tid"] == tenant_id


async def test_instance_discovery_points_at_the_tenants_configuration(client: httpx.AsyncClient,
                                                                      tenant_id: str) -> None:
    response = await client.get("/common/discovery/instance", params={
        "api-version": "1.1", "authorization_endpoint": f"{BASE}/{tenant_id}/oauth2/v2.0/authorize"})
    assert response.status_code == 200
    body = response.json()
    assert body["tenant_discovery_endpoint"] == f"{BASE}/{tenant_id}/v2.0/.well-known/openid-configuration"
    assert body["api-version"] == "1.1"
    aliases = [group["aliases"] for group in body["metadata"]]
    assert ["graph.test"] in aliases
    assert any("login.microsoftonline.com" in group for group in aliases)


async def test_instance_discovery_knows_entras_hosts(client: httpx.AsyncClient) -> None:
    response = await client.get("/common/discovery/instance", params={
        "api-version": "1.0", "authorization_endpoint": "https://login.microsoftonline.com/common/oauth2/authorize"})
    assert response.json()["tenant_discovery_endpoint"] == (
        "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration")


@pytest.mark.parametrize("endpoint", ["https://evil.example/common/oauth2/authorize", "https://graph.test/",
                                      "ftp://graph.test/x/oauth2/authorize", "x" * 3000])
async def test_instance_discovery_refuses_other_hosts(client: httpx.AsyncClient, endpoint: str) -> None:
    response = await client.get("/common/discovery/instance", params={"authorization_endpoint": endpoint})
    assert_entra_error(response, 400, "invalid_instance", 50049)


async def test_instance_discovery_needs_an_authorization_endpoint(client: httpx.AsyncClient) -> None:
    assert_entra_error(await client.get("/common/discovery/instance"), 400, "invalid_request", 9002313)


# --- client credentials with a secret

async def test_a_secret_gets_an_application_token_that_sends_mail(client: httpx.AsyncClient, tenant_id: str,
                                                                  app: NewApp, tokens: TokenMint) -> None:
    response = await post_token(client, tenant_id, **secret_form(app))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    claims = TokenVerifier(tokens.key).verify(body["access_token"])
    assert claims["roles"] == ["Mail.ReadWrite", "Mail.Send"]
    assert (claims["tid"], claims["appid"], claims["aud"]) == (tenant_id, app.app.client_id,
                                                               "https://graph.microsoft.com")
    sent = await client.post("/v1.0/users/bob@contoso.test/sendMail", headers={
        "Authorization": f"Bearer {body['access_token']}"}, json={"message": {
            "subject": "from a client-credentials token", "body": {"content": "hi"},
            "toRecipients": [{"emailAddress": {"address": "alice@contoso.test"}}]}})
    assert sent.status_code == 202, sent.text


async def test_a_secret_in_http_basic_gets_a_token(client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    basic = base64.b64encode(f"{quote_plus(app.app.client_id)}:{quote_plus(app.secret)}".encode()).decode()
    response = await client.post(f"/{tenant_id}/oauth2/v2.0/token", headers={"Authorization": f"Basic {basic}"},
                                 data={"grant_type": "client_credentials", "scope": GRAPH_DEFAULT})
    assert response.status_code == 200, response.text


async def test_two_ways_of_authenticating_at_once_are_invalid_request(client: httpx.AsyncClient, tenant_id: str,
                                                                      app: NewApp, pair: KeyPair) -> None:
    basic = "Basic " + base64.b64encode(f"{app.app.client_id}:{quote_plus(app.secret)}".encode()).decode()
    both = await client.post(f"/{tenant_id}/oauth2/v2.0/token", headers={"Authorization": basic},
                             data=secret_form(app))
    assert_entra_error(both, 400, "invalid_request", 9002313)
    other = await client.post(f"/{tenant_id}/oauth2/v2.0/token", headers={"Authorization": basic},
                              data={"grant_type": "client_credentials", "scope": GRAPH_DEFAULT,
                                    "client_id": "3f1b0d4e-0000-4000-8000-000000000001"})
    assert_entra_error(other, 400, "invalid_request", 9002313)
    signed = assertion(pair, app.app.client_id, token_url(tenant_id))
    secret_and_assertion = await post_token(client, tenant_id,
                                            **assertion_form(app.app.client_id, signed, client_secret=app.secret))
    assert_entra_error(secret_and_assertion, 400, "invalid_request", 9002313)


async def test_the_tenants_domain_and_graphs_app_id_scope_work_too(client: httpx.AsyncClient, app: NewApp) -> None:
    response = await post_token(client, "contoso.test",
                                **secret_form(app, scope="00000003-0000-0000-c000-000000000000/.default"))
    assert response.status_code == 200, response.text


async def test_a_wrong_secret_is_invalid_client(client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    response = await post_token(client, tenant_id, **secret_form(app, client_secret="not-it"))
    body = assert_entra_error(response, 401, "invalid_client", 7000215)
    assert app.app.client_id in body["error_description"] and body["correlation_id"] == "corr-1"


async def test_no_secret_nor_assertion_is_invalid_client(client: httpx.AsyncClient, tenant_id: str,
                                                         app: NewApp) -> None:
    form = secret_form(app)
    del form["client_secret"]
    assert_entra_error(await post_token(client, tenant_id, **form), 401, "invalid_client", 7000218)


@pytest.mark.parametrize("client_id", ["3f1b0d4e-0000-4000-8000-000000000001", "not-a-guid", "x" * 500,
                                       "3f1b0d4e-0000-4000-8000-00000000\x000001"])
async def test_an_unknown_client_is_unauthorized_client(client: httpx.AsyncClient, tenant_id: str, app: NewApp,
                                                        client_id: str) -> None:
    response = await post_token(client, tenant_id, **secret_form(app, client_id=client_id))
    assert_entra_error(response, 400, "unauthorized_client", 700016)


async def test_an_app_of_another_tenant_is_unknown_here(client: httpx.AsyncClient, db: Database,
                                                        tenant_id: str) -> None:
    await directory.add_tenant(db, "fabrikam.test", None)
    other = await directory.add_app(db, "theirs", ["Mail.Send"], "fabrikam.test")
    assert_entra_error(await post_token(client, tenant_id, **secret_form(other)), 400, "unauthorized_client", 700016)
    assert (await post_token(client, "fabrikam.test", **secret_form(other))).status_code == 200


async def test_an_unknown_tenant_is_refused_at_the_token_endpoint(client: httpx.AsyncClient, app: NewApp) -> None:
    assert_entra_error(await post_token(client, "nowhere.test", **secret_form(app)), 400, "invalid_tenant", 90002)


@pytest.mark.parametrize("segment", ["common", "organizations"])
async def test_client_credentials_need_a_tenant_of_their_own(client: httpx.AsyncClient, app: NewApp,
                                                             segment: str) -> None:
    assert_entra_error(await post_token(client, segment, **secret_form(app)), 400, "invalid_request", 50194)


async def test_a_missing_grant_type_is_invalid_request(client: httpx.AsyncClient, tenant_id: str,
                                                       app: NewApp) -> None:
    form = secret_form(app)
    del form["grant_type"]
    assert_entra_error(await post_token(client, tenant_id, **form), 400, "invalid_request", 900144)
    response = await client.post(f"/{tenant_id}/oauth2/v2.0/token", json=secret_form(app))
    assert_entra_error(response, 400, "invalid_request", 900144)


async def test_an_unsupported_grant_type_is_refused(client: httpx.AsyncClient, tenant_id: str, app: NewApp) -> None:
    response = await post_token(client, tenant_id, **secret_form(app, grant_type="urn:example:magic"))
    assert_entra_error(response, 400, "unsupported_grant_type", 70003)


@pytest.mark.parametrize(("scope", "status", "error", "code"), [
    ("", 400, "invalid_request", 900144),
    ("Mail.Send", 400, "invalid_scope", 1002012),
    ("https://graph.microsoft.com/Mail.Send", 400, "invalid_scope", 1002012),
    ("https://graph.microsoft.com/.default https://outlook.office.com/.default", 400, "invalid_scope", 28000),
    ("https://example.com/.default", 400, "invalid_resource", 500011),
    ("https://graph.microsoft.com/.default " * 200, 400, "invalid_scope", 70011),
])
async def test_a_scope_other_than_graphs_default_is_refused(client: httpx.AsyncClient, tenant_id: str, app: NewApp,
                                                            scope: str, status: int, error: str, code: int) -> None:
    assert_entra_error(await post_token(client, tenant_id, **secret_form(app, scope=scope)), status, error, code)


@pytest.mark.parametrize("cloud", clouds.CLOUDS, ids=lambda cloud: cloud.name)
async def test_each_clouds_default_scope_gets_a_token_for_that_clouds_graph(client: httpx.AsyncClient,
                                                                           tenant_id: str, app: NewApp,
                                                                           tokens: TokenMint,
                                                                           cloud: clouds.Cloud) -> None:
    # On graphpost's own host every cloud is served; on a cloud's login host, that cloud.
    for base in ("", f"https://{cloud.login_hosts[0]}"):
        response = await client.post(f"{base}/{tenant_id}/oauth2/v2.0/token",
                                     data=secret_form(app, scope=f"{cloud.audience}/.default"))
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        assert TokenVerifier(tokens.key).verify(token, cloud.accepted_audiences)["aud"] == cloud.audience
        me = await client.get(f"https://{cloud.graph_hosts[0]}/v1.0/users/alice@contoso.test/messages",
                              headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text


async def test_a_login_host_refuses_another_clouds_graph_as_entra_does(client: httpx.AsyncClient, tenant_id: str,
                                                                      app: NewApp) -> None:
    response = await client.post(f"https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token",
                                 data=secret_form(app, scope="https://graph.microsoft.us/.default"))
    body = assert_entra_error(response, 400, "invalid_resource", 500011)
    assert "https://graph.microsoft.us" in body["error_description"]
    china = await client.post(f"https://login.chinacloudapi.cn/{tenant_id}/oauth2/v2.0/token",
                              data=secret_form(app))
    assert_entra_error(china, 400, "invalid_resource", 500011)


async def test_an_oversized_or_repeated_form_is_invalid_request(client: httpx.AsyncClient, tenant_id: str,
                                                                app: NewApp) -> None:
    big = await post_token(client, tenant_id, **secret_form(app, padding="x" * 70_000))
    assert_entra_error(big, 400, "invalid_request", 9002313)
    repeated = await client.post(f"/{tenant_id}/oauth2/v2.0/token",
                                 content="grant_type=client_credentials&grant_type=password",
                                 headers={"content-type": "application/x-www-form-urlencoded"})
    assert_entra_error(repeated, 400, "invalid_request", 9002313)


# --- client credentials with a certificate

@pytest.mark.parametrize(("algorithm", "header"), [("PS256", "x5t#S256"), ("RS256", "x5t")])
async def test_a_certificate_assertion_gets_a_token(client: httpx.AsyncClient, tenant_id: str, cert_app: NewApp,
                                                    pair: KeyPair, tokens: TokenMint, algorithm: str,
                                                    header: str) -> None:
    client_id = cert_app.app.client_id
    signed = assertion(pair, client_id, token_url(tenant_id), algorithm=algorithm, header=header)
    response = await post_token(client, tenant_id, **assertion_form(client_id, signed))
    assert response.status_code == 200, response.text
    claims = TokenVerifier(tokens.key).verify(response.json()["access_token"])
    assert claims["roles"] == ["Mail.Send"] and claims["appid"] == client_id


async def test_an_ec_certificate_signs_es256(client: httpx.AsyncClient, db: Database, tenant_id: str) -> None:
    ec_pair = self_signed(kind="ec")
    created = await directory.add_app(db, "ec app", ["Mail.Send"], None,
                                      certificate=load_certificate(ec_pair.cert_pem.encode()))
    signed = assertion(ec_pair, created.app.client_id, token_url(tenant_id), algorithm="ES256")
    response = await post_token(client, tenant_id, **assertion_form(created.app.client_id, signed))
    assert response.status_code == 200, response.text


async def test_an_assertion_for_the_domain_url_called_is_accepted(client: httpx.AsyncClient, cert_app: NewApp,
                                                                  pair: KeyPair) -> None:
    client_id = cert_app.app.client_id
    signed = assertion(pair, client_id, token_url("contoso.test"))
    assert (await post_token(client, "contoso.test", **assertion_form(client_id, signed))).status_code == 200


async def test_an_assertion_signed_by_another_key_fails_signature_validation(
        client: httpx.AsyncClient, tenant_id: str, cert_app: NewApp, pair: KeyPair) -> None:
    client_id = cert_app.app.client_id
    impostor = self_signed()
    forged = jwt.encode({"aud": token_url(tenant_id), "iss": client_id, "sub": client_id, "exp": time.time() + 600},
                        impostor.private_key, algorithm="PS256", headers={"x5t#S256": pair.x5t_s256()})
    body = assert_entra_error(await post_token(client, tenant_id, **assertion_form(client_id, forged)),
                              401, "invalid_client", 700027)
    assert "did not match" in body["error_description"]
    unregistered = assertion(impostor, client_id, token_url(tenant_id))
    body = assert_entra_error(await post_token(client, tenant_id, **assertion_form(client_id, unregistered)),
                              401, "invalid_client", 700027)
    assert "The key was not found" in body["error_description"]


async def test_an_expired_assertion_is_out_of_its_time_range(client: httpx.AsyncClient, tenant_id: str,
                                                             cert_app: NewApp, pair: KeyPair) -> None:
    client_id = cert_app.app.client_id
    old = assertion(pair, client_id, token_url(tenant_id), issued=time.time() - 7200)
    assert_entra_error(await post_token(client, tenant_id, **assertion_form(client_id, old)), 401,
                       "invalid_client", 700024)
    early = assertion(pair, client_id, token_url(tenant_id), nbf=time.time() + 3600)
    assert_entra_error(await post_token(client, tenant_id, **assertion_form(client_id, early)), 401,
                       "invalid_client", 700024)


async def test_an_assertion_for_another_endpoint_or_client_is_refused(client: httpx.AsyncClient, tenant_id: str,
                                                                      cert_app: NewApp, pair: KeyPair) -> None:
    client_id = cert_app.app.client_id
    elsewhere = assertion(pair, client_id, "https://login.microsoftonline.com/common/oauth2/v2.0/token")
    assert_entra_error(await post_token(client, tenant_id, **assertion_form(client_id, elsewhere)), 401,
                       "invalid_client", 50027)
    someone = assertion(pair, client_id, token_url(tenant_id), iss="3f1b0d4e-0000-4000-8000-000000000001")
    assert_entra_error(await post_token(client, tenant_id, **assertion_form(client_id, someone)), 401,
                       "invalid_client", 700021)


SHARED_SECRET = "a-shared-secret-of-32-bytes-or-more!"


@pytest.mark.parametrize("signed", ["not-a-jwt", jwt.encode({"iss": "x"}, None, algorithm="none"),
                                    jwt.encode({"iss": "x"}, SHARED_SECRET, algorithm="HS256")])
async def test_an_unreadable_or_unsigned_assertion_is_malformed(client: httpx.AsyncClient, tenant_id: str,
                                                                cert_app: NewApp, signed: str) -> None:
    response = await post_token(client, tenant_id, **assertion_form(cert_app.app.client_id, signed))
    assert_entra_error(response, 401, "invalid_client", 50027)


async def test_a_wrong_assertion_type_is_malformed(client: httpx.AsyncClient, tenant_id: str, cert_app: NewApp,
                                                   pair: KeyPair) -> None:
    client_id = cert_app.app.client_id
    signed = assertion(pair, client_id, token_url(tenant_id))
    response = await post_token(client, tenant_id,
                                **assertion_form(client_id, signed, client_assertion_type="urn:example:saml"))
    assert_entra_error(response, 401, "invalid_client", 50027)
