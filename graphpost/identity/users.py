"""Signing a user in with a password (`graphpost user passwd`), with Entra's refusals."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from graphpost.directory import service as directory
from graphpost.identity import errors
from graphpost.identity.tenants import TenantRef
from graphpost.store import directory as rows
from graphpost.store.database import Database

# A userPrincipalName is an address: 320 characters at most (RFC 5321 bounds), as users.upn is.
MAX_USERNAME = 320


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    tenant_id: str
    user_principal_name: str
    display_name: str


async def sign_in(db: Database, tenant: TenantRef, username: str, password: str) -> SignedIn:
    """The user `username` names, if `password` is its password; at a tenant's own URL only its
    users sign in, at /common and /organizations any user does (its tenant is its own)."""
    where = tenant.segment
    if len(username) > MAX_USERNAME or "\x00" in username:
        raise errors.unknown_user(username[:MAX_USERNAME], where)
    async with db.read() as conn:
        user = await rows.user_by_upn(conn, username)
        stored = await rows.password_hash_of(conn, user.id) if user is not None else None
    if user is None or (tenant.tenant_id is not None and user.tenant_id != tenant.tenant_id):
        raise errors.unknown_user(username, where)
    if stored is None or len(password) > directory.MAX_PASSWORD or not await asyncio.to_thread(
            directory.secret_matches, password, stored):  # scrypt: off the event loop
        raise errors.wrong_password()
    if not user.account_enabled:
        raise errors.user_disabled()
    return SignedIn(user.id, user.tenant_id, user.user_principal_name, user.display_name)
