"""The refresh token grant (RFC 6749 §6): a refresh token (refresh_tokens.py) for new tokens and
its successor; the old one is spent."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from graphpost.auth.keys import SigningKey
from graphpost.identity import clients, delegated, errors, refresh_tokens, scopes
from graphpost.identity.exchange import IssuedToken, TokenRequest
from graphpost.identity.tenants import TenantRef
from graphpost.store import sign_ins
from graphpost.store.database import Database


async def refresh_grant(db: Database, key: SigningKey, lifetime: timedelta, tenant: TenantRef,
                        request: TokenRequest) -> IssuedToken:
    request.require("client_id", "refresh_token")
    form = request.form
    token = form["refresh_token"].strip()
    if len(token) > refresh_tokens.MAX_TOKEN:
        raise errors.refresh_token_revoked()
    async with db.write() as conn:
        row = await sign_ins.take_refresh(conn, refresh_tokens.digest(token))
        # Checked before the transaction commits: a refusal leaves the token as it was.
        if row is None:
            raise errors.refresh_token_revoked()
        if row.expires_at <= datetime.now(timezone.utc):
            raise errors.grant_expired()
        if row.client_id.lower() != form["client_id"].strip().lower():
            raise errors.grant_of_another_client()
        # A refresh may ask for what the user consented to, or less, never more.
        consented = scopes.delegated(row.scope, tenant, request.base)
        asked = scopes.delegated(form.get("scope") or row.scope, tenant, request.base)
        missing = [name for name in asked.permissions if name not in consented.permissions]
        if missing:
            raise errors.scope_not_granted(" ".join(missing))
    user, home = await delegated.user_of_grant(db, tenant, row.user_id)
    client = await clients.authenticate(db, home, form, request.basic, request.token_endpoints, public=True)
    return await delegated.issue(db, key, lifetime, request, home, client.client_id, user, asked, row.scope,
                                 successor=True)
