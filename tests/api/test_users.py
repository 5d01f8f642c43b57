"""The user resource: /me and /users/{id | userPrincipalName}, tenant isolation, Graph errors."""

import httpx
import pytest

from graphpost.directory import service as directory
from graphpost.store.database import Database
from tests.api.assertions import assert_graph_error
from tests.tokens import TokenMint

USER_KEYS = {"@odata.context", "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone",
             "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"}


@pytest.mark.parametrize("version", ["v1.0", "beta"])
async def test_me_returns_the_signed_in_user(client: httpx.AsyncClient, tokens: TokenMint, version: str) -> None:
    response = await client.get(f"/{version}/me", headers=await tokens.header())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == USER_KEYS
    assert body["@odata.context"] == f"http://graph.test/{version}/$metadata#users/$entity"
    assert (body["displayName"], body["mail"], body["userPrincipalName"]) == (
        "Alice Smith", "alice@contoso.test", "alice@contoso.test")


async def test_me_with_an_application_token_is_a_bad_request(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    token = await tokens.app(("Mail.Send", "User.Read.All"))
    error = assert_graph_error(await client.get("/v1.0/me", headers={"Authorization": f"Bearer {token}"}),
                               400, "BadRequest")
    assert error["message"] == "/me request is only valid with delegated authentication flow."


async def test_user_by_id_and_by_upn_in_any_case(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    token = await tokens.app(("User.Read.All",))
    headers = {"Authorization": f"Bearer {token}"}
    by_upn = (await client.get("/v1.0/users/BOB@Contoso.Test", headers=headers)).json()
    assert by_upn["userPrincipalName"] == "bob@contoso.test"
    by_id = await client.get(f"/beta/users/{by_upn['id'].upper()}", headers=headers)
    assert by_id.status_code == 200 and by_id.json()["id"] == by_upn["id"]


async def test_own_user_resource_needs_no_directory_permission(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    me = (await client.get("/v1.0/me", headers=await tokens.header())).json()
    response = await client.get(f"/v1.0/users/{me['id']}", headers=await tokens.header())
    assert response.status_code == 200 and response.json()["id"] == me["id"]


async def test_another_user_without_directory_permission_is_denied(client: httpx.AsyncClient,
                                                                   tokens: TokenMint) -> None:
    response = await client.get("/v1.0/users/bob@contoso.test", headers=await tokens.header())
    assert_graph_error(response, 403, "Authorization_RequestDenied")
    token = await tokens.app(("Mail.Send",))
    response = await client.get("/v1.0/users/bob@contoso.test", headers={"Authorization": f"Bearer {token}"})
    assert_graph_error(response, 403, "Authorization_RequestDenied")


async def test_another_user_with_directory_permission(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    headers = await tokens.header(scopes=("Mail.Send", "User.ReadBasic.All"))
    response = await client.get("/v1.0/users/bob@contoso.test", headers=headers)
    assert response.status_code == 200 and response.json()["displayName"] == "Bob Jones"


async def test_unknown_user_is_not_found(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    token = await tokens.app(("User.Read.All",))
    for ref in ("nobody@contoso.test", "00000000-0000-0000-0000-000000000000"):
        response = await client.get(f"/v1.0/users/{ref}", headers={"Authorization": f"Bearer {token}"})
        assert_graph_error(response, 404, "Request_ResourceNotFound")


async def test_users_of_another_tenant_are_invisible(client: httpx.AsyncClient, tokens: TokenMint,
                                                     db: Database) -> None:
    await directory.add_tenant(db, "fabrikam.test", "Fabrikam")
    await directory.add_user(db, "zoe@fabrikam.test", None)
    token = await tokens.app(("User.Read.All",), domain="contoso.test")
    response = await client.get("/v1.0/users/zoe@fabrikam.test", headers={"Authorization": f"Bearer {token}"})
    assert_graph_error(response, 404, "Request_ResourceNotFound")
    zoe = await client.get("/v1.0/me", headers=await tokens.header("zoe@fabrikam.test"))
    assert zoe.status_code == 200 and zoe.json()["userPrincipalName"] == "zoe@fabrikam.test"


async def test_unknown_segment_is_graphs_bad_request(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    error = assert_graph_error(await client.get("/v1.0/me/nonsense", headers=await tokens.header()),
                               400, "BadRequest")
    assert error["message"] == "Resource not found for the segment 'nonsense'."
    error = assert_graph_error(await client.get("/v3.0/me"), 400, "BadRequest")
    assert "'v3.0'" in error["message"]


async def test_wrong_method_is_graphs_405(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    assert_graph_error(await client.delete("/v1.0/me", headers=await tokens.header()), 405, "BadRequest")
