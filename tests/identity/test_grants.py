"""The client-credentials scope rule: one resource graphpost knows, as `{resource}/.default`."""

from __future__ import annotations

import pytest

from graphpost.auth import clouds
from graphpost.errors import EntraError
from graphpost.identity.grants import default_scope_resource
from graphpost.identity.tenants import TenantRef

TENANT = TenantRef("contoso.test", "9188040d-6c67-4c5b-b112-36a304b66dad")


@pytest.mark.parametrize("scope", ["https://graph.microsoft.com/.default", "https://GRAPH.microsoft.com//.default",
                                   "00000003-0000-0000-c000-000000000000/.default",
                                   "https://graph.microsoft.com/.default "
                                   "00000003-0000-0000-c000-000000000000/.default"])
def test_graphs_default_scope_names_graph(scope: str) -> None:
    resource = default_scope_resource(scope, TENANT)
    assert (resource.identifier, resource.cloud) == ("https://graph.microsoft.com", clouds.GLOBAL)


@pytest.mark.parametrize(("scope", "error", "code"), [
    ("   ", "invalid_request", 900144),
    ("User.Read", "invalid_scope", 1002012),
    ("https://graph.microsoft.com/.default openid", "invalid_scope", 1002012),
    ("https://graph.microsoft.com/.default https://management.azure.com/.default", "invalid_scope", 28000),
    ("https://graph.microsoft.com/.default " * 100, "invalid_scope", 70011),
    ("api://my-api/.default", "invalid_resource", 500011),
])
def test_other_scopes_are_refused_as_entra_refuses_them(scope: str, error: str, code: int) -> None:
    with pytest.raises(EntraError) as refused:
        default_scope_resource(scope, TENANT)
    assert (refused.value.code, refused.value.aadsts) == (error, code)


@pytest.mark.parametrize("cloud", clouds.CLOUDS, ids=lambda cloud: cloud.name)
def test_each_clouds_graph_is_a_resource_on_graphposts_own_host_and_on_its_login_hosts(cloud: clouds.Cloud) -> None:
    for base in ["http://127.0.0.1:8000", *(f"https://{host}" for host in cloud.login_hosts)]:
        resource = default_scope_resource(f"{cloud.audience}/.default", TENANT, base)
        assert (resource.identifier, resource.cloud) == (cloud.audience, cloud)


@pytest.mark.parametrize(("login_host", "other"), [
    ("login.microsoftonline.com", clouds.US_GOV), ("login.microsoftonline.com", clouds.CHINA),
    ("login.microsoftonline.us", clouds.GLOBAL), ("login.chinacloudapi.cn", clouds.US_GOV_DOD),
    ("login.partner.microsoftonline.cn", clouds.GLOBAL)])
def test_a_login_host_knows_no_other_clouds_graph(login_host: str, other: clouds.Cloud) -> None:
    # Entra's sign-in service of one cloud has no service principal for another cloud's Graph.
    with pytest.raises(EntraError) as refused:
        default_scope_resource(f"{other.audience}/.default", TENANT, f"https://{login_host}")
    assert (refused.value.code, refused.value.aadsts) == ("invalid_resource", 500011)
    assert other.audience in str(refused.value)


@pytest.mark.parametrize(("login_host", "cloud"), [("login.microsoftonline.com", clouds.GLOBAL),
                                                   ("login.microsoftonline.us", clouds.US_GOV),
                                                   ("login.chinacloudapi.cn", clouds.CHINA)])
def test_graphs_application_id_names_the_login_hosts_own_graph(login_host: str, cloud: clouds.Cloud) -> None:
    resource = default_scope_resource("00000003-0000-0000-c000-000000000000/.default", TENANT,
                                      f"https://{login_host}")
    assert resource.cloud == cloud
