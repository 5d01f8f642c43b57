"""The client-credentials scope rule: one resource graphpost knows, as `{resource}/.default`."""

from __future__ import annotations

import pytest

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
    assert (resource.identifier, resource.cloud) == ("https://graph.microsoft.com", "global")


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
