"""The identity endpoint's HTTP edge, at the root as Entra ID's is (login.microsoftonline.com/…):
discovery documents, signing keys, and the token endpoint. URLs in the answers are built from
the scheme and host the client called (docs/identity.md)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from graphpost.api.forms import read_form
from graphpost.api.responses import EntraJSONResponse
from graphpost.api.runtime import runtime_of
from graphpost.errors import EntraError
from graphpost.identity import discovery, errors, grants, tenants
from graphpost.identity.clients import basic_credentials
from graphpost.identity.exchange import TokenRequest

router = APIRouter()

# RFC 6749 §5.1: token answers are never cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _json(content: dict[str, Any], headers: dict[str, str] | None = None) -> EntraJSONResponse:
    return EntraJSONResponse(content, headers=headers)


@router.get("/common/discovery/instance")
async def instance_discovery(request: Request) -> EntraJSONResponse:
    endpoint = request.query_params.get("authorization_endpoint")
    if not endpoint:
        raise errors.invalid_request("The request must contain the parameter 'authorization_endpoint'.")
    version = request.query_params.get("api-version", "1.1")[:10]
    return _json(discovery.instance_discovery(_base(request), endpoint, version))


@router.get("/common/userrealm/{username}")
async def user_realm(request: Request, username: str) -> EntraJSONResponse:
    domain = username.rpartition("@")[2].lower()
    try:
        found = await tenants.resolve(runtime_of(request).db, domain)
    except EntraError:
        found = None
    managed = found is not None and found.tenant_id is not None
    return _json(discovery.user_realm(domain, managed))


@router.get("/{tenant}/v2.0/.well-known/openid-configuration")
async def openid_configuration(request: Request, tenant: str) -> EntraJSONResponse:
    found = await tenants.resolve(runtime_of(request).db, tenant)
    return _json(discovery.openid_configuration(_base(request), found))


@router.get("/{tenant}/discovery/v2.0/keys")
async def keys(request: Request, tenant: str) -> EntraJSONResponse:
    found = await tenants.resolve(runtime_of(request).db, tenant)
    return _json(discovery.jwks(request.app.state.signing_key, _base(request), found))


@router.post("/{tenant}/oauth2/v2.0/token")
async def token(request: Request, tenant: str) -> EntraJSONResponse:
    rt = runtime_of(request)
    found = await tenants.resolve(rt.db, tenant)
    base = _base(request)
    # A client assertion names the token endpoint it was made for: the URL called, or the one
    # the OpenID configuration gives (with the tenant's id where a domain was called).
    endpoints = list(dict.fromkeys([base + request.url.path, f"{base}/{found.path_segment}/oauth2/v2.0/token"]))
    ask = TokenRequest(await read_form(request), basic_credentials(request.headers.get("authorization")), endpoints,
                       base)
    issued = await grants.token(rt.db, request.app.state.signing_key, rt.settings.token_lifetime, found, ask)
    return _json(issued.as_json(), NO_STORE)
