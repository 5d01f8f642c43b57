"""Tokens for a signed-in user, whatever grant signed them in (authorization code, device code,
refresh token): access token, id token, client_info and, with offline_access, a refresh token."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from graphpost.auth import tokens
from graphpost.auth.keys import SigningKey
from graphpost.identity import discovery, errors, refresh_tokens
from graphpost.identity.exchange import IssuedToken, TokenRequest
from graphpost.identity.id_tokens import client_info, issue_id_token
from graphpost.identity.scopes import DelegatedScopes
from graphpost.identity.tenants import TenantRef
from graphpost.identity.users import SignedIn
from graphpost.store import directory as rows
from graphpost.store.database import Database


async def user_of_grant(db: Database, tenant: TenantRef, user_id: str) -> tuple[SignedIn, TenantRef]:
    """The user a code or refresh token was issued to, as they are now, and their home tenant: a
    removed user's grants are gone (revoked), a disabled one is refused as Entra refuses it."""
    async with db.read() as conn:
        user = await rows.user_by_id(conn, user_id)
    if user is None or (tenant.tenant_id is not None and user.tenant_id != tenant.tenant_id):
        raise errors.refresh_token_revoked()
    if not user.account_enabled:
        raise errors.user_disabled()
    signed = SignedIn(user.id, user.tenant_id, user.user_principal_name, user.display_name)
    return signed, replace(tenant, tenant_id=user.tenant_id)


async def issue(db: Database, key: SigningKey, lifetime: timedelta, request: TokenRequest, home: TenantRef,
                client_id: str, user: SignedIn, asked: DelegatedScopes, consented: str,
                nonce: str | None = None, successor: bool = False) -> IssuedToken:
    """`consented` is the scope the user signed in for: a refresh token carries it on, so a later
    refresh may ask for it or for less. `successor`: a refresh token is handed out whatever was
    asked, as the one redeemed is spent."""
    subject = tokens.DelegatedSubject(user.tenant_id, user.user_id, user.user_principal_name, user.display_name)
    access_token = tokens.issue_delegated(key, subject, list(asked.permissions), lifetime, app_id=client_id,
                                          audience=asked.resource.identifier)
    id_token = None
    if "openid" in asked.oidc:
        id_token = issue_id_token(key, discovery.issuer(request.base, home), client_id, user, lifetime, nonce=nonce)
    info = client_info(user) if request.form.get("client_info") == "1" else None
    refresh = None
    if successor or "offline_access" in asked.oidc:
        refresh = await refresh_tokens.issue(db, client_id, user.user_id, consented)
    return IssuedToken(access_token, int(lifetime.total_seconds()), asked.granted, id_token, info, refresh)
