"""Delegated scopes: Graph's permissions by any name, `.default`, OpenID's own."""

from __future__ import annotations

import pytest

from graphpost.auth import clouds
from graphpost.errors import EntraError
from graphpost.identity.scopes import delegated
from graphpost.identity.tenants import TenantRef

TENANT = TenantRef("organizations", None)


def test_full_and_short_names_are_graphs_and_kept_as_asked() -> None:
    asked = delegated("https://graph.microsoft.com/mail.send User.Read openid PROFILE offline_access", TENANT)
    assert asked.permissions == ("Mail.Send", "User.Read")
    assert asked.granted == "https://graph.microsoft.com/mail.send User.Read openid profile"
    assert asked.resource.identifier == "https://graph.microsoft.com"


def test_default_and_openid_alone_grant_the_default_delegated_permissions() -> None:
    for scope in ("https://graph.microsoft.com/.default", "openid profile"):
        asked = delegated(scope, TENANT)
        assert asked.permissions == ("Mail.ReadWrite", "Mail.Send")
        assert asked.named == ("https://graph.microsoft.com/Mail.ReadWrite", "https://graph.microsoft.com/Mail.Send")


@pytest.mark.parametrize(("scope", "code"), [
    ("", 900144), ("Calendars.Read", 70011), ("https://graph.microsoft.com/", 70011),
    ("api://my-api/access_as_user", 500011), ("Mail.Send api://my-api/access_as_user", 28000),
    ("Mail.Send " * 300, 70011),
])
def test_what_graphpost_cannot_grant_is_refused(scope: str, code: int) -> None:
    with pytest.raises(EntraError) as refused:
        delegated(scope, TENANT)
    assert refused.value.aadsts == code


def test_a_national_clouds_graph_is_asked_for_by_full_name_or_by_its_login_host() -> None:
    asked = delegated("https://graph.microsoft.us/Mail.Send openid", TENANT)
    assert (asked.resource.cloud, asked.permissions) == (clouds.US_GOV, ("Mail.Send",))
    # A short name is the called login host's Graph, as Entra reads it.
    short = delegated("Mail.Send", TENANT, "https://login.chinacloudapi.cn")
    assert short.resource.identifier == "https://microsoftgraph.chinacloudapi.cn"
    assert delegated("Mail.Send", TENANT).resource.cloud == clouds.GLOBAL


def test_a_login_host_refuses_another_clouds_permissions() -> None:
    with pytest.raises(EntraError) as refused:
        delegated("https://graph.microsoft.com/Mail.Send", TENANT, "https://login.microsoftonline.us")
    assert refused.value.aadsts == 500011
