"""The device authorization grant (RFC 8628), as Entra runs it: the device asks for a code at
/devicecode, the user opens the verification page (/devicelogin), enters the user code and signs
in, while the device polls the token endpoint. Codes live in SQL (any node answers any step),
the device code as a SHA-256 digest."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from graphpost.auth.keys import SigningKey
from graphpost.identity import clients, delegated, errors, scopes
from graphpost.identity.authorization import registered_app
from graphpost.identity.exchange import IssuedToken, TokenRequest
from graphpost.identity.tenants import TenantRef
from graphpost.store import sign_ins
from graphpost.store.database import Database

LIFETIME = timedelta(minutes=15)  # Entra's: expires_in 900
INTERVAL = 5                      # seconds between polls, as Entra asks
# Entra's user codes are nine letters and digits; these leave out the ones read alike (0/O, 1/I).
USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
USER_CODE_LENGTH = 9
MAX_DEVICE_CODE = 512
PENDING, APPROVED, DECLINED = "pending", "approved", "declined"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalize_user_code(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())[:USER_CODE_LENGTH + 1]


async def start(db: Database, tenant: TenantRef, form: Mapping[str, str], base: str, verification_uri: str,
                now: datetime | None = None) -> dict[str, Any]:
    client_id = form.get("client_id", "").strip()
    if not client_id:
        raise errors.missing_parameter("client_id")
    if not form.get("scope", "").strip():
        raise errors.missing_parameter("scope")
    app = await registered_app(db, tenant, client_id)
    scopes.delegated(form["scope"], tenant, base)
    device_code = secrets.token_urlsafe(48)
    user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))
    expires = (now or datetime.now(timezone.utc)) + LIFETIME
    async with db.write() as conn:
        await sign_ins.delete_expired(conn, expires - LIFETIME)  # as a new authorization code does
        await sign_ins.insert_device(conn, sign_ins.DeviceRow(digest(device_code), user_code, app.client_id,
                                                              form["scope"].strip(), PENDING, None, None, expires))
    return {
        "user_code": user_code, "device_code": device_code, "verification_uri": verification_uri,
        "expires_in": int(LIFETIME.total_seconds()), "interval": INTERVAL,
        "message": f"To sign in, use a web browser to open the page {verification_uri} and enter the code "
                   f"{user_code} to authenticate.",
    }


async def pending_code(db: Database, user_code: str) -> str | None:
    """The pending, unexpired user code the user typed (as graphpost wrote it), if there is one."""
    async with db.read() as conn:
        row = await sign_ins.device_by_user_code(conn, normalize_user_code(user_code))
    if row is None or row.state != PENDING or row.expires_at <= datetime.now(timezone.utc):
        return None
    return row.user_code


async def decide(db: Database, user_code: str, user_id: str | None) -> bool:
    """Approve the code for `user_id`, or decline it (None); False if it is no longer pending."""
    async with db.write() as conn:
        return await sign_ins.decide_device(conn, normalize_user_code(user_code),
                                            APPROVED if user_id else DECLINED, user_id)


async def device_grant(db: Database, key: SigningKey, lifetime: timedelta, tenant: TenantRef,
                       request: TokenRequest) -> IssuedToken:
    request.require("client_id", "device_code")
    form = request.form
    code = form["device_code"].strip()
    if len(code) > MAX_DEVICE_CODE:
        raise errors.bad_device_code()
    hashed = digest(code)
    now = datetime.now(timezone.utc)
    async with db.read() as conn:
        row = await sign_ins.device_by_hash(conn, hashed)
    if row is None:
        raise errors.bad_device_code()
    if row.client_id.lower() != form["client_id"].strip().lower():
        raise errors.grant_of_another_client()
    if row.expires_at <= now:
        async with db.write() as conn:
            await sign_ins.delete_device(conn, hashed)
        raise errors.device_code_expired()
    if row.state == PENDING:
        async with db.write() as conn:
            await sign_ins.mark_polled(conn, hashed, now)
        # A second of slack: a client that sleeps `interval` seconds between polls is never told off.
        if row.last_polled_at is not None and now - row.last_polled_at < timedelta(seconds=INTERVAL - 1):
            raise errors.slow_down()
        raise errors.authorization_pending()
    async with db.write() as conn:
        taken = await sign_ins.delete_device(conn, hashed)
    if not taken:  # another poll got there first
        raise errors.bad_device_code()
    if row.state == DECLINED or row.user_id is None:
        raise errors.device_declined()
    user, home = await delegated.user_of_grant(db, TenantRef(tenant.segment, None), row.user_id)
    if tenant.tenant_id is not None and user.tenant_id != tenant.tenant_id:
        raise errors.unknown_user(user.user_principal_name, tenant.segment)
    client = await clients.authenticate(db, home, form, request.basic, request.token_endpoints, public=True)
    asked = scopes.delegated(row.scope, tenant, request.base)
    return await delegated.issue(db, key, lifetime, request, home, client.client_id, user, asked, row.scope)
