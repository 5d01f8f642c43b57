"""Bearer-token verification on every Graph route: each refusal is Graph's 401 envelope."""

import json
from datetime import datetime, timedelta, timezone

import httpx
import jwt
import pytest

from graphpost.auth import clouds, keys, tokens
from graphpost.auth.tokens import issue_application
from tests.api.assertions import assert_graph_error
from tests.tokens import TokenMint

ROUTES = ["/v1.0/me", "/beta/me", "/v1.0/users/alice@contoso.test", "/beta/users/bob@contoso.test"]


def assert_unauthenticated(response: httpx.Response) -> None:
    assert_graph_error(response, 401, "InvalidAuthenticationToken")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("route", ROUTES)
async def test_missing_token_is_refused(client: httpx.AsyncClient, route: str) -> None:
    assert_unauthenticated(await client.get(route))


@pytest.mark.parametrize("header", ["Basic YWxpY2U6cHc=", "Bearer", "Bearer not-a-jwt", "Bearer a.b.c"])
async def test_malformed_authorization_is_refused(client: httpx.AsyncClient, header: str) -> None:
    assert_unauthenticated(await client.get("/v1.0/me", headers={"Authorization": header}))


async def _claims(tokens_: TokenMint) -> dict:
    return tokens.TokenVerifier(tokens_.key).verify(await tokens_.user())


async def test_badly_signed_token_is_refused(client: httpx.AsyncClient, tokens: TokenMint, tmp_path) -> None:
    other = keys.load_or_create(tmp_path / "other")
    forged = jwt.encode(await _claims(tokens), other.private_key, algorithm="RS256", headers={"kid": tokens.key.kid})
    assert_unauthenticated(await client.get("/v1.0/me", headers={"Authorization": f"Bearer {forged}"}))


async def test_expired_token_is_refused(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    claims = await _claims(tokens)
    now = int(datetime.now(timezone.utc).timestamp())
    expired = jwt.encode({**claims, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600},
                         tokens.key.private_key, algorithm="RS256")
    response = await client.get("/v1.0/me", headers={"Authorization": f"Bearer {expired}"})
    assert_unauthenticated(response)
    assert "expired" in response.json()["error"]["message"]


async def test_alg_none_token_is_refused(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    unsigned = jwt.encode(await _claims(tokens), key=None, algorithm="none")
    assert_unauthenticated(await client.get("/v1.0/me", headers={"Authorization": f"Bearer {unsigned}"}))


async def test_wrong_audience_is_refused(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    token = jwt.encode({**await _claims(tokens), "aud": "api://someone-else"}, tokens.key.private_key,
                       algorithm="RS256")
    assert_unauthenticated(await client.get("/v1.0/me", headers={"Authorization": f"Bearer {token}"}))


async def test_unknown_tenant_is_refused(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    token = jwt.encode({**await _claims(tokens), "tid": "99999999-9999-9999-9999-999999999999"},
                       tokens.key.private_key, algorithm="RS256")
    assert_unauthenticated(await client.get("/v1.0/me", headers={"Authorization": f"Bearer {token}"}))


async def test_token_of_an_unknown_app_is_refused(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    claims = await _claims(tokens)
    token = issue_application(
        tokens.key, claims["tid"], "44444444-4444-4444-4444-444444444444", ["Mail.Send"], timedelta(hours=1))
    assert_unauthenticated(await client.get("/v1.0/users/alice@contoso.test",
                                            headers={"Authorization": f"Bearer {token}"}))


async def test_client_request_id_is_echoed(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    response = await client.get("/v1.0/me", headers={**await tokens.header(), "client-request-id": "abc-123"})
    assert response.status_code == 200
    assert response.headers["client-request-id"] == "abc-123"
    assert response.headers["request-id"] and response.headers["request-id"] != "abc-123"


async def test_a_string_exp_is_refused_on_every_request(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    claims = await _claims(tokens)
    # Signed as raw JSON: PyJWT's encode would not carry the string through unchanged.
    token = jwt.PyJWS().encode(json.dumps({**claims, "exp": str(claims["exp"])}).encode(), tokens.key.private_key,
                               algorithm="RS256", headers={"kid": tokens.key.kid, "typ": "JWT"})
    for _ in range(2):   # the second request used to take the verifier's cache, and fail with a 500
        response = await client.get("/v1.0/me", headers={"Authorization": f"Bearer {token}"})
        assert_unauthenticated(response)
        assert "'exp' must be a number" in response.json()["error"]["message"]


async def test_an_issuer_of_another_tenant_is_refused(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    claims = await _claims(tokens)
    token = jwt.encode({**claims, "iss": "https://login.microsoftonline.com/99999999-9999-9999-9999-999999999999/v2.0"},
                       tokens.key.private_key, algorithm="RS256")
    response = await client.get("/v1.0/me", headers={"Authorization": f"Bearer {token}"})
    assert_unauthenticated(response)
    assert response.json()["error"]["message"] == "Access token validation failure. Invalid issuer."


async def test_the_v1_issuer_form_of_the_tenant_is_accepted(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    claims = await _claims(tokens)
    token = jwt.encode({**claims, "iss": f"https://sts.windows.net/{claims['tid']}/"}, tokens.key.private_key,
                       algorithm="RS256")
    assert (await client.get("/v1.0/me", headers={"Authorization": f"Bearer {token}"})).status_code == 200


@pytest.mark.parametrize("cloud", clouds.CLOUDS, ids=lambda cloud: cloud.name)
async def test_a_token_is_accepted_on_its_own_clouds_graph_host(client: httpx.AsyncClient, tokens: TokenMint,
                                                                cloud: clouds.Cloud) -> None:
    token = await tokens.user(audience=cloud.audience)
    response = await client.get("/v1.0/me", headers={"Authorization": f"Bearer {token}",
                                                     "Host": cloud.graph_hosts[0]})
    assert response.status_code == 200
    assert response.json()["@odata.context"] == f"http://{cloud.graph_hosts[0]}/v1.0/$metadata#users/$entity"


@pytest.mark.parametrize("issued_for, used_on", [
    (clouds.GLOBAL, clouds.US_GOV), (clouds.GLOBAL, clouds.CHINA), (clouds.US_GOV, clouds.US_GOV_DOD),
    (clouds.US_GOV_DOD, clouds.US_GOV), (clouds.CHINA, clouds.GLOBAL), (clouds.US_GOV, clouds.GLOBAL),
], ids=lambda cloud: cloud.name)
async def test_a_token_of_another_cloud_is_refused(client: httpx.AsyncClient, tokens: TokenMint,
                                                   issued_for: clouds.Cloud, used_on: clouds.Cloud) -> None:
    token = await tokens.user(audience=issued_for.audience)
    headers = {"Authorization": f"Bearer {token}", "Host": used_on.graph_hosts[0]}
    for _ in range(2):   # the second from the verifier's cache, which must not skip the audience
        response = await client.get("/v1.0/me", headers=headers)
        assert_unauthenticated(response)
        assert response.json()["error"]["message"] == "Invalid audience."


async def test_a_national_clouds_token_is_refused_at_graphposts_own_address(client: httpx.AsyncClient,
                                                                           tokens: TokenMint) -> None:
    # graphpost reached directly (here http://graph.test) is the global cloud, as `graphpost token` mints.
    token = await tokens.user(audience=clouds.US_GOV.audience)
    assert_unauthenticated(await client.get("/v1.0/me", headers={"Authorization": f"Bearer {token}"}))
    assert (await client.get("/v1.0/me", headers=await tokens.header())).status_code == 200
