import pytest
from azure.identity import AzureAuthorityHosts
from msgraph_core import NationalClouds

from graphpost.auth import clouds


def test_graph_roots_are_the_ones_msgraph_core_names() -> None:
    assert {cloud.graph_url for cloud in clouds.CLOUDS} == {
        NationalClouds.Global.value, NationalClouds.US_GOV.value, NationalClouds.US_DoD.value,
        NationalClouds.China.value}


def test_login_hosts_include_azure_identity_authority_hosts() -> None:
    assert clouds.GLOBAL.login_hosts[0] == AzureAuthorityHosts.AZURE_PUBLIC_CLOUD
    assert clouds.US_GOV.login_hosts[0] == clouds.US_GOV_DOD.login_hosts[0] == AzureAuthorityHosts.AZURE_GOVERNMENT
    assert clouds.CHINA.login_hosts[0] == AzureAuthorityHosts.AZURE_CHINA


def test_each_cloud_audience_is_its_graph_root() -> None:
    assert [cloud.audience for cloud in clouds.CLOUDS] == [cloud.graph_url for cloud in clouds.CLOUDS]


def test_proxied_hosts_are_every_graph_and_login_host() -> None:
    assert clouds.proxied_hosts() == (
        "dod-graph.microsoft.us", "graph.microsoft.com", "graph.microsoft.us", "login.chinacloudapi.cn",
        "login.microsoftonline.com", "login.microsoftonline.us", "login.partner.microsoftonline.cn",
        "microsoftgraph.chinacloudapi.cn")


@pytest.mark.parametrize("authority, cloud", [
    ("graph.microsoft.com", clouds.GLOBAL), ("GRAPH.microsoft.com:443", clouds.GLOBAL),
    ("graph.microsoft.us.", clouds.US_GOV), ("dod-graph.microsoft.us", clouds.US_GOV_DOD),
    ("microsoftgraph.chinacloudapi.cn:443", clouds.CHINA),
])
def test_a_graph_host_names_its_cloud(authority: str, cloud: clouds.Cloud) -> None:
    assert clouds.cloud_of_graph_host(authority) is cloud
    assert clouds.cloud_for_request(authority) is cloud


@pytest.mark.parametrize("authority", ["127.0.0.1:8000", "localhost", "[::1]:8000", "login.microsoftonline.us",
                                       "graph.microsoft.com.evil.test", "example.com"])
def test_any_other_host_is_no_cloud_and_requests_to_it_are_global(authority: str) -> None:
    assert clouds.cloud_of_graph_host(authority) is None
    assert clouds.cloud_for_request(authority) is clouds.GLOBAL


def test_the_graph_app_id_audience_is_accepted_in_the_global_cloud_only() -> None:
    assert clouds.GRAPH_APP_ID in clouds.GLOBAL.accepted_audiences
    assert all(clouds.GRAPH_APP_ID not in cloud.accepted_audiences for cloud in clouds.CLOUDS[1:])
    assert clouds.US_GOV.accepted_audiences == {"https://graph.microsoft.us", "https://graph.microsoft.us/"}


@pytest.mark.parametrize("resource, cloud", [
    ("https://graph.microsoft.com", clouds.GLOBAL), ("https://graph.microsoft.com/", clouds.GLOBAL),
    ("https://graph.microsoft.us", clouds.US_GOV), ("https://DOD-graph.microsoft.us/", clouds.US_GOV_DOD),
    ("https://microsoftgraph.chinacloudapi.cn", clouds.CHINA),
    ("https://graph.microsoft.de", None), ("https://outlook.office.com", None), ("graph.microsoft.com", None),
])
def test_a_resource_names_the_cloud_whose_graph_it_is(resource: str, cloud: clouds.Cloud | None) -> None:
    assert clouds.cloud_of_audience(resource) is cloud
