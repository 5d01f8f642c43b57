"""The discovery documents as pure values: every URL on the base the client called."""

from __future__ import annotations

import pytest

from graphpost.errors import EntraError
from graphpost.identity import discovery
from graphpost.identity.tenants import TenantRef

TENANT = TenantRef("contoso.test", "9188040d-6c67-4c5b-b112-36a304b66dad")


def test_the_configuration_names_the_tenants_id_where_a_domain_was_called() -> None:
    config = discovery.openid_configuration("https://login.microsoftonline.com", TENANT)
    root = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad"
    assert (config["token_endpoint"], config["jwks_uri"], config["issuer"]) == (
        f"{root}/oauth2/v2.0/token", f"{root}/discovery/v2.0/keys", f"{root}/v2.0")


def test_a_multi_tenant_configuration_has_entras_issuer_template() -> None:
    config = discovery.openid_configuration("http://127.0.0.1:8000", TenantRef("Organizations", None))
    assert config["token_endpoint"] == "http://127.0.0.1:8000/organizations/oauth2/v2.0/token"
    assert config["issuer"] == "http://127.0.0.1:8000/{tenantid}/v2.0"


def test_instance_discovery_answers_for_the_host_called_first() -> None:
    answer = discovery.instance_discovery("https://localhost:8443",
                                          "https://localhost:8443/contoso.test/oauth2/v2.0/authorize", "1.0")
    assert answer["tenant_discovery_endpoint"] == (
        "https://localhost:8443/contoso.test/v2.0/.well-known/openid-configuration")
    assert answer["metadata"][0] == {"preferred_network": "localhost:8443", "preferred_cache": "localhost:8443",
                                     "aliases": ["localhost:8443"]}


def test_instance_discovery_called_as_entra_lists_entras_groups_once() -> None:
    answer = discovery.instance_discovery("https://login.microsoftonline.com",
                                          "https://login.windows.net/common/oauth2/authorize", "1.1")
    networks = [group["preferred_network"] for group in answer["metadata"]]
    assert networks == [network for network, _, _ in discovery.ENTRA_ALIAS_GROUPS]
    assert answer["metadata"][0]["preferred_cache"] == "login.windows.net"


@pytest.mark.parametrize("endpoint", ["https://elsewhere.test/common/oauth2/authorize", "https://localhost:8443",
                                      "mailto:x@localhost:8443", "https://localhost:8443/" + "a" * 3000])
def test_instance_discovery_refuses_what_graphpost_does_not_serve(endpoint: str) -> None:
    with pytest.raises(EntraError) as refused:
        discovery.instance_discovery("https://localhost:8443", endpoint, "1.1")
    assert (refused.value.status, refused.value.code, refused.value.aadsts) == (400, "invalid_instance", 50049)
