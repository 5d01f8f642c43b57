"""The token endpoint's grants. Client credentials: an app authenticates as itself and gets an
application token for a resource's `/.default` scope, carrying the permissions granted to it.
The password grant is in password.py, the authorization code grant in authorization.py, the
refresh token grant in refresh.py, the device code grant in device_codes.py."""

from __future__ import annotations

from datetime import timedelta

from graphpost.auth import tokens
from graphpost.auth.keys import SigningKey
from graphpost.identity import authorization, clients, device_codes, errors, refresh
from graphpost.identity.exchange import IssuedToken, TokenRequest
from graphpost.identity.password import password_grant
from graphpost.identity.resources import DEFAULT_SUFFIX, MAX_SCOPE, Resource, resource_named
from graphpost.identity.tenants import TenantRef
from graphpost.store.database import Database

CLIENT_CREDENTIALS, PASSWORD = "client_credentials", "password"
AUTHORIZATION_CODE, REFRESH_TOKEN = "authorization_code", "refresh_token"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"


async def token(db: Database, key: SigningKey, lifetime: timedelta, tenant: TenantRef,
                request: TokenRequest) -> IssuedToken:
    grant_type = request.form.get("grant_type", "").strip()
    if not grant_type:
        raise errors.missing_parameter("grant_type")
    if grant_type == CLIENT_CREDENTIALS:
        return await client_credentials(db, key, lifetime, tenant, request)
    if grant_type == PASSWORD:
        return await password_grant(db, key, lifetime, tenant, request)
    if grant_type == AUTHORIZATION_CODE:
        return await authorization.code_grant(db, key, lifetime, tenant, request)
    if grant_type == REFRESH_TOKEN:
        return await refresh.refresh_grant(db, key, lifetime, tenant, request)
    if grant_type == DEVICE_CODE:
        return await device_codes.device_grant(db, key, lifetime, tenant, request)
    raise errors.unsupported_grant_type(grant_type[:100])


def default_scope_resource(scope: str, tenant: TenantRef, base: str = "") -> Resource:
    """The one resource a client-credentials scope names: `{resource}/.default`, once, of a cloud
    the token endpoint called at `base` serves."""
    names = scope.split()
    if not names:
        raise errors.missing_parameter("scope")
    if len(scope) > MAX_SCOPE:
        raise errors.invalid_scope(scope[:100] + "…")
    for name in names:
        if not name.endswith(DEFAULT_SUFFIX):
            raise errors.scope_without_default(name)
    # A known resource by any of its names counts once; an unknown one by its own name.
    named = {name[: -len(DEFAULT_SUFFIX)].rstrip("/") for name in names}
    resources = {identifier: resource_named(identifier, base) for identifier in named}
    if len({resource.identifier if resource else identifier.lower() for identifier, resource in resources.items()}) > 1:
        raise errors.several_resources(scope)
    identifier, resource = resources.popitem()
    if resource is None:
        raise errors.unknown_resource(identifier, tenant.segment)
    return resource


async def client_credentials(db: Database, key: SigningKey, lifetime: timedelta, tenant: TenantRef,
                             request: TokenRequest) -> IssuedToken:
    client = await clients.authenticate(db, tenant, request.form, request.basic, request.token_endpoints)
    resource = default_scope_resource(request.form.get("scope", ""), tenant, request.base)
    access_token = tokens.issue_application(key, client.tenant_id, client.client_id, list(client.permissions),
                                            lifetime, audience=resource.identifier)
    return IssuedToken(access_token, int(lifetime.total_seconds()))
