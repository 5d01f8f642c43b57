"""Directory operations the CLI and the API share: seeding, adding users and apps."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.auth.certificates import AppCertificate
from graphpost.auth.permissions import unknown_permissions
from graphpost.directory.types import App, User
from graphpost.mail import mailbox
from graphpost.mail.nul import NUL
from graphpost.store import directory as rows
from graphpost.store.database import Database
from graphpost.store.directory import AppRow, UserRow

log = logging.getLogger(__name__)

DEFAULT_TENANT_NAME = "Contoso"
DEFAULT_USERS = (("alice", "Alice Smith"), ("bob", "Bob Jones"))
# Taken while seeding on PostgreSQL, so that nodes starting together seed once.
_PG_SEED_LOCK = 0x67726171


class DirectoryError(Exception):
    """A directory request that cannot be carried out; the message says why, for the operator."""


@dataclass(frozen=True)
class NewApp:
    app: App
    secret: str


# The one place where the directory's rows become what it hands upwards (directory/types.py).
def user_of(row: UserRow) -> User:
    return User(row.id, row.tenant_id, row.user_principal_name, row.mail, row.display_name, row.account_enabled)


def app_of(row: AppRow) -> App:
    return App(row.client_id, row.tenant_id, row.display_name, row.permissions)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=2**14, r=8, p=1)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def secret_matches(secret: str, stored: str) -> bool:
    scheme, salt, digest = stored.split("$")
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(secret.encode(), salt=base64.b64decode(salt), n=2**14, r=8, p=1)
    return hmac.compare_digest(candidate, base64.b64decode(digest))


def _display_name_for(upn: str) -> str:
    return upn.split("@", 1)[0].replace(".", " ").title()


async def ensure_default_tenant(db: Database, domain: str) -> bool:
    """Create the default tenant with alice and bob if the store has no tenant; True if it did."""
    async with db.write() as conn:
        if db.dialect == "postgresql":
            await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_SEED_LOCK})
        if await rows.count_tenants(conn):
            return False
        tenant_id = str(uuid.uuid4())
        await rows.insert_tenant(conn, tenant_id, DEFAULT_TENANT_NAME, [domain], _now())
        for local, name in DEFAULT_USERS:
            address = f"{local}@{domain}"
            user = UserRow(str(uuid.uuid4()), tenant_id, address, address, name)
            await rows.insert_user(conn, user, _now())
            await mailbox.provision(conn, user.id, _now())
    log.info("created default tenant %s (%s) with users alice and bob", tenant_id, domain)
    return True


def _chosen_guid(text: str | None, what: str) -> str:
    """A GUID the operator chose (to reuse an application's configured ids), in Entra's lower-case
    form; a new one when none was chosen."""
    if text is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(text.strip()))
    except ValueError:
        raise DirectoryError(f"'{text}' is not a {what} (a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47)") from None


async def add_tenant(db: Database, domain: str, display_name: str | None, tenant_id: str | None = None) -> str:
    domain = domain.strip().lower()
    if not domain or "@" in domain or "." not in domain:
        raise DirectoryError(f"'{domain}' is not a domain name")
    tenant_id = _chosen_guid(tenant_id, "tenant id")
    async with db.write() as conn:
        if await rows.tenant_of_domain(conn, domain):
            raise DirectoryError(f"domain {domain} already belongs to a tenant")
        if await rows.tenant_exists(conn, tenant_id):
            raise DirectoryError(f"a tenant with id {tenant_id} already exists")
        await rows.insert_tenant(conn, tenant_id, display_name or domain, [domain], _now())
    return tenant_id


async def add_user(db: Database, upn: str, display_name: str | None) -> User:
    upn = upn.strip()
    local, _, domain = upn.partition("@")
    if not local or not domain or " " in upn:
        raise DirectoryError(f"'{upn}' is not a user principal name like alice@contoso.test")
    async with db.write() as conn:
        tenant_id = await rows.tenant_of_domain(conn, domain)
        if tenant_id is None:
            raise DirectoryError(f"no tenant accepts the domain {domain.lower()} "
                                 "(add one with: graphpost tenant add DOMAIN)")
        if await rows.upn_or_mail_taken(conn, upn):
            raise DirectoryError(f"a user {upn} already exists")
        user = UserRow(str(uuid.uuid4()), tenant_id, upn, upn, display_name or _display_name_for(upn))
        await rows.insert_user(conn, user, _now())
        await mailbox.provision(conn, user.id, _now())
    return user_of(user)


async def add_app(db: Database, display_name: str, permissions: list[str], domain: str | None,
                  client_id: str | None = None, certificate: AppCertificate | None = None) -> NewApp:
    """Register an app with a new secret and, when given, a certificate for client assertions."""
    unknown = unknown_permissions(permissions)
    if unknown:
        raise DirectoryError(f"unknown permission '{unknown[0]}'")
    client_id = _chosen_guid(client_id, "client id")
    async with db.write() as conn:
        if domain:
            tenant_id = await rows.tenant_of_domain(conn, domain)
            if tenant_id is None:
                raise DirectoryError(f"no tenant accepts the domain {domain.lower()}")
        else:
            tenants = await rows.list_tenants(conn)
            if len(tenants) != 1:
                raise DirectoryError("there is more than one tenant: say which with --tenant DOMAIN"
                                     if tenants else "there is no tenant yet")
            tenant_id = tenants[0].id
        if await rows.app_by_client_id(conn, client_id):
            raise DirectoryError(f"an app with client id {client_id} already exists")
        secret = secrets.token_urlsafe(30)
        app = AppRow(client_id, tenant_id, display_name, hash_secret(secret), tuple(dict.fromkeys(permissions)))
        await rows.insert_app(conn, app, _now())
        if certificate is not None:
            await rows.insert_app_certificate(conn, client_id, certificate.sha256, certificate.sha1, certificate.pem,
                                              _now())
    return NewApp(app_of(app), secret)


async def _existing_user(conn: AsyncConnection, upn: str) -> UserRow:
    user = await rows.user_by_upn(conn, upn)
    if user is None:
        raise DirectoryError(f"no user {upn} (see: graphpost user list)")
    return user


async def remove_user(db: Database, upn: str) -> User:
    """Delete a user with its mailbox: folders, messages, attachments and mail still queued for it."""
    async with db.write() as conn:
        user = await _existing_user(conn, upn)
        await rows.delete_user(conn, user.id)
    return user_of(user)


async def set_user_enabled(db: Database, upn: str, enabled: bool) -> User:
    """Graph's accountEnabled. As when an admin blocks sign-in in Microsoft 365, a disabled user's
    tokens are refused, and its mailbox still receives mail and keeps its data (Microsoft's "Block
    Microsoft 365 user accounts" page: blocking "doesn't stop the account from receiving email")."""
    async with db.write() as conn:
        user = await _existing_user(conn, upn)
        await rows.set_account_enabled(conn, user.id, enabled)
    return user_of(replace(user, account_enabled=enabled))


# Entra's rule for a cloud-only user's password: 8 to 256 characters.
MIN_PASSWORD, MAX_PASSWORD = 8, 256


async def set_password(db: Database, upn: str, password: str) -> User:
    """The password the user signs in with at the identity endpoint (kept as a scrypt hash)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise DirectoryError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    hashed = await asyncio.to_thread(hash_secret, password)  # scrypt: tens of milliseconds of CPU
    async with db.write() as conn:
        user = await _existing_user(conn, upn)
        await rows.set_password_hash(conn, user.id, hashed)
    return user_of(user)


async def remove_app(db: Database, client_id: str) -> App:
    async with db.write() as conn:
        app = await rows.app_by_client_id(conn, client_id)
        if app is None:
            raise DirectoryError(f"no app with client id {client_id} (see: graphpost app list)")
        await rows.delete_app(conn, app.client_id)
    return app_of(app)


async def user_for_token(db: Database, tenant_id: str, user_id: str) -> User | None:
    """The signed-in user a delegated token names, if it still exists in that tenant, enabled."""
    async with db.read() as conn:
        user = await rows.user_by_id(conn, user_id)
    return user_of(user) if user is not None and user.tenant_id == tenant_id and user.account_enabled else None


async def app_for_token(db: Database, tenant_id: str, client_id: str) -> App | None:
    async with db.read() as conn:
        app = await rows.app_by_client_id(conn, client_id)
    return app_of(app) if app is not None and app.tenant_id == tenant_id else None


async def app_secret_matches(db: Database, client_id: str, secret: str) -> bool:
    """Whether `secret` is the app's: its hash stays in the directory's row (scrypt costs tens of
    milliseconds of CPU by design, so it is checked off the event loop)."""
    async with db.read() as conn:
        app = await rows.app_by_client_id(conn, client_id)
    return app is not None and await asyncio.to_thread(secret_matches, secret, app.secret_hash)


def _looks_like_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


async def find_user(db: Database, tenant_id: str, ref: str) -> User | None:
    """A user of this tenant by id (GUID) or userPrincipalName, case-insensitively. Users of other
    tenants are never found: a tenant cannot even learn that they exist."""
    if NUL in ref:
        return None  # no user's name holds one (mail/nul.py), and PostgreSQL refuses to look it up
    async with db.read() as conn:
        user = await (rows.user_by_id(conn, ref) if _looks_like_guid(ref) else rows.user_by_upn(conn, ref))
    return user_of(user) if user is not None and user.tenant_id == tenant_id else None
