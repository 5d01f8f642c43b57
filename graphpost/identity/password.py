"""The resource owner password credentials grant (RFC 6749 §4.3), what azure-identity's
UsernamePasswordCredential and MSAL's acquire_token_by_username_password use: the user's name and
password (`graphpost user passwd`) for a delegated token. The client is a registered app of the
user's tenant; it authenticates when it sends credentials (a confidential client), and may send
none (a public client)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from graphpost.auth import tokens
from graphpost.auth.keys import SigningKey
from graphpost.identity import clients, discovery, refresh_tokens, scopes
from graphpost.identity.exchange import IssuedToken, TokenRequest
from graphpost.identity.id_tokens import client_info, issue_id_token
from graphpost.identity.tenants import TenantRef
from graphpost.identity.users import sign_in
from graphpost.store.database import Database


async def password_grant(db: Database, key: SigningKey, lifetime: timedelta, tenant: TenantRef,
                         request: TokenRequest) -> IssuedToken:
    request.require("client_id", "username", "password", "scope")
    form = request.form
    asked = scopes.delegated(form["scope"], tenant, request.base)
    user = await sign_in(db, tenant, form["username"].strip(), form["password"])
    home = replace(tenant, tenant_id=user.tenant_id)
    client = await clients.authenticate(db, home, form, request.basic, request.token_endpoints, public=True)
    subject = tokens.DelegatedSubject(user.tenant_id, user.user_id, user.user_principal_name, user.display_name)
    access_token = tokens.issue_delegated(key, subject, list(asked.permissions), lifetime, app_id=client.client_id,
                                           audience=asked.resource.identifier)
    id_token = None
    if "openid" in asked.oidc:
        id_token = issue_id_token(key, discovery.issuer(request.base, home), client.client_id, user, lifetime)
    info = client_info(user) if form.get("client_info") == "1" else None
    refresh = None
    if "offline_access" in asked.oidc:  # as MSAL always asks: acquire_token_silent then refreshes with it
        refresh = await refresh_tokens.issue(db, client.client_id, user.user_id, form["scope"].strip())
    return IssuedToken(access_token, int(lifetime.total_seconds()), asked.granted, id_token, info, refresh)
