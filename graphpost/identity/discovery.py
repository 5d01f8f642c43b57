"""The documents MSAL reads before it asks for a token: instance discovery, the tenant's OpenID
configuration and the signing keys. Every URL in them starts with `base`, the scheme and host the
client called, so the same answers work on graphpost's own address and behind a proxy that
presents it as login.microsoftonline.com."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from jwt.algorithms import RSAAlgorithm

from graphpost.auth.keys import SigningKey
from graphpost.identity import errors
from graphpost.identity.tenants import TenantRef

# Entra's login hosts, grouped by cloud as its instance discovery lists them (api-version 1.1):
# (preferred_network, preferred_cache, aliases). MSAL keeps the tokens of a group under one entry.
ENTRA_ALIAS_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("login.microsoftonline.com", "login.windows.net",
     ("login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net")),
    ("login.partner.microsoftonline.cn", "login.partner.microsoftonline.cn",
     ("login.partner.microsoftonline.cn", "login.chinacloudapi.cn")),
    ("login.microsoftonline.us", "login.microsoftonline.us", ("login.microsoftonline.us", "login.usgovcloudapi.net")),
    ("login-us.microsoftonline.com", "login-us.microsoftonline.com", ("login-us.microsoftonline.com",)),
)
MAX_ENDPOINT = 2048


def _tenant_url(base: str, tenant: TenantRef) -> str:
    return f"{base}/{tenant.path_segment}"


def issuer(base: str, tenant: TenantRef) -> str:
    # For common/organizations Entra writes the template itself: the issuer is per tenant.
    return f"{base}/{tenant.tenant_id or '{tenantid}'}/v2.0"


def openid_configuration(base: str, tenant: TenantRef) -> dict[str, Any]:
    """Entra's fields, in its order. `authorization_endpoint` is required by MSAL even for the
    client-credentials grant, which never visits it."""
    url = _tenant_url(base, tenant)
    return {
        "token_endpoint": f"{url}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": f"{url}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer(base, tenant),
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{url}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{url}/oauth2/v2.0/devicecode",  # MSAL's device flow needs it
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username",
                             "name", "tid", "ver", "at_hash", "c_hash", "email"],
        "tenant_region_scope": "NA",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    }


def jwks(key: SigningKey, base: str, tenant: TenantRef) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(key.public_key))
    return {"keys": [{"kty": "RSA", "use": "sig", "kid": key.kid, "n": jwk["n"], "e": jwk["e"],
                      "issuer": issuer(base, tenant)}]}


def _alias_groups(called_host: str) -> list[tuple[str, str, tuple[str, ...]]]:
    groups = list(ENTRA_ALIAS_GROUPS)
    if not any(called_host in aliases for _, _, aliases in groups):
        groups.insert(0, (called_host, called_host, (called_host,)))
    return groups


def instance_discovery(base: str, authorization_endpoint: str, api_version: str) -> dict[str, Any]:
    """`tenant_discovery_endpoint` for an authority graphpost serves: the host the client called,
    or an Entra login host (reached through a proxy); invalid_instance (AADSTS50049) else."""
    if len(authorization_endpoint) > MAX_ENDPOINT:
        raise errors.unknown_instance()
    parts = urlsplit(authorization_endpoint)
    called = urlsplit(base)
    groups = _alias_groups(called.netloc.lower())
    host = parts.netloc.lower()
    segments = [segment for segment in parts.path.split("/") if segment]
    if parts.scheme not in ("http", "https") or not segments or not any(host in aliases for _, _, aliases in groups):
        raise errors.unknown_instance()
    return {
        "tenant_discovery_endpoint": f"{parts.scheme}://{parts.netloc}/{segments[0]}/v2.0/.well-known/"
                                     "openid-configuration",
        "api-version": api_version,
        "metadata": [{"preferred_network": network, "preferred_cache": cache, "aliases": list(aliases)}
                     for network, cache, aliases in groups],
    }


def user_realm(domain: str, managed: bool) -> dict[str, Any]:
    """What MSAL asks before a password sign-in (`/common/userrealm/{username}`): a domain of one
    of graphpost's tenants is "Managed" (passwords are checked here, not federated elsewhere)."""
    realm: dict[str, Any] = {"ver": "1.0", "account_type": "Managed" if managed else "Unknown"}
    if managed:
        realm["domain_name"] = domain
    realm.update({"cloud_instance_name": "microsoftonline.com", "cloud_audience_urn": "urn:federation:MicrosoftOnline"})
    return realm
