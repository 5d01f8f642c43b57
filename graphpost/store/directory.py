"""Directory rows: tenants, accepted domains, users, app registrations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store.attachments import delete_blob_if_unused
from graphpost.store.schema import (app_certificates, apps, attachments, domains, messages, submission_attachments, submissions, tenants,
                                    upload_sessions, users)


@dataclass(frozen=True)
class TenantRow:
    id: str
    display_name: str
    domains: tuple[str, ...]


@dataclass(frozen=True)
class UserRow:
    id: str
    tenant_id: str
    user_principal_name: str
    mail: str
    display_name: str
    account_enabled: bool = True


@dataclass(frozen=True)
class AppRow:
    client_id: str
    tenant_id: str
    display_name: str
    secret_hash: str
    permissions: tuple[str, ...]


def _user(row: sa.Row) -> UserRow:
    return UserRow(row.id, row.tenant_id, row.user_principal_name, row.mail, row.display_name, row.account_enabled)


def _app(row: sa.Row) -> AppRow:
    return AppRow(row.client_id, row.tenant_id, row.display_name, row.secret_hash, tuple(row.permissions))


async def count_tenants(conn: AsyncConnection) -> int:
    return (await conn.execute(sa.select(sa.func.count()).select_from(tenants))).scalar_one()


async def insert_tenant(conn: AsyncConnection, tenant_id: str, display_name: str, domain_names: list[str],
                        now: datetime) -> None:
    await conn.execute(tenants.insert().values(id=tenant_id, display_name=display_name, created_at=now))
    await conn.execute(domains.insert(), [{"name": name.lower(), "tenant_id": tenant_id} for name in domain_names])


async def tenant_exists(conn: AsyncConnection, tenant_id: str) -> bool:
    found = await conn.execute(sa.select(tenants.c.id).where(tenants.c.id == tenant_id))
    return found.first() is not None


async def list_tenants(conn: AsyncConnection) -> list[TenantRow]:
    rows = (await conn.execute(sa.select(tenants).order_by(tenants.c.created_at, tenants.c.id))).all()
    names = (await conn.execute(sa.select(domains).order_by(domains.c.name))).all()
    return [TenantRow(row.id, row.display_name, tuple(d.name for d in names if d.tenant_id == row.id))
            for row in rows]


async def tenant_of_domain(conn: AsyncConnection, domain: str) -> str | None:
    found = await conn.execute(sa.select(domains.c.tenant_id).where(domains.c.name == domain.lower()))
    return found.scalar_one_or_none()


async def accepted_domains(conn: AsyncConnection, tenant_id: str) -> set[str]:
    found = await conn.execute(sa.select(domains.c.name).where(domains.c.tenant_id == tenant_id))
    return set(found.scalars())


async def insert_user(conn: AsyncConnection, user: UserRow, now: datetime) -> None:
    await conn.execute(users.insert().values(
        id=user.id, tenant_id=user.tenant_id, user_principal_name=user.user_principal_name,
        upn_key=user.user_principal_name.lower(), mail=user.mail, mail_key=user.mail.lower(),
        display_name=user.display_name, created_at=now, account_enabled=user.account_enabled))


async def user_by_id(conn: AsyncConnection, user_id: str) -> UserRow | None:
    row = (await conn.execute(sa.select(users).where(users.c.id == user_id.lower()))).first()
    return _user(row) if row else None


async def user_by_upn(conn: AsyncConnection, upn: str) -> UserRow | None:
    row = (await conn.execute(sa.select(users).where(users.c.upn_key == upn.lower()))).first()
    return _user(row) if row else None


async def upn_or_mail_taken(conn: AsyncConnection, address: str) -> bool:
    key = address.lower()
    found = await conn.execute(sa.select(users.c.id).where(sa.or_(users.c.upn_key == key, users.c.mail_key == key)))
    return found.first() is not None


async def list_users(conn: AsyncConnection) -> list[UserRow]:
    rows = await conn.execute(sa.select(users).order_by(users.c.upn_key))
    return [_user(row) for row in rows]


async def set_account_enabled(conn: AsyncConnection, user_id: str, enabled: bool) -> None:
    await conn.execute(users.update().where(users.c.id == user_id).values(account_enabled=enabled))


async def delete_user(conn: AsyncConnection, user_id: str) -> None:
    """The user and, by ON DELETE CASCADE, its folders, messages, attachments, submissions,
    outbox entries and upload sessions; then the content blobs nothing else holds."""
    held = sa.union(
        sa.select(attachments.c.blob_id).join(messages, attachments.c.message_id == messages.c.id)
        .where(messages.c.user_id == user_id, attachments.c.blob_id.is_not(None)),
        sa.select(submission_attachments.c.blob_id)
        .join(submissions, submission_attachments.c.submission_id == submissions.c.id)
        .where(submissions.c.user_id == user_id, submission_attachments.c.blob_id.is_not(None)),
        sa.select(upload_sessions.c.blob_id).where(upload_sessions.c.user_id == user_id),
    )
    blob_ids = (await conn.execute(held)).scalars().all()
    await conn.execute(users.delete().where(users.c.id == user_id))
    for blob_id in blob_ids:
        await delete_blob_if_unused(conn, blob_id)


async def delete_app(conn: AsyncConnection, client_id: str) -> None:
    await conn.execute(apps.delete().where(apps.c.client_id == client_id))


async def insert_app(conn: AsyncConnection, app: AppRow, now: datetime) -> None:
    await conn.execute(apps.insert().values(
        client_id=app.client_id, tenant_id=app.tenant_id, display_name=app.display_name,
        secret_hash=app.secret_hash, permissions=list(app.permissions), created_at=now))


async def app_by_client_id(conn: AsyncConnection, client_id: str) -> AppRow | None:
    row = (await conn.execute(sa.select(apps).where(apps.c.client_id == client_id.lower()))).first()
    return _app(row) if row else None


async def list_apps(conn: AsyncConnection) -> list[AppRow]:
    rows = await conn.execute(sa.select(apps).order_by(apps.c.display_name, apps.c.client_id))
    return [_app(row) for row in rows]


async def insert_app_certificate(conn: AsyncConnection, client_id: str, sha256: str, sha1: str, pem: str,
                                 now: datetime) -> None:
    await conn.execute(app_certificates.insert().values(client_id=client_id, sha256=sha256, sha1=sha1, pem=pem,
                                                        created_at=now))


async def app_certificate_pem(conn: AsyncConnection, client_id: str, *, sha256: str | None = None,
                              sha1: str | None = None) -> str | None:
    """The PEM of the app's certificate with this SHA-256 (else SHA-1) thumbprint, hex lower case."""
    where = app_certificates.c.sha256 == sha256 if sha256 is not None else app_certificates.c.sha1 == sha1
    found = await conn.execute(sa.select(app_certificates.c.pem)
                               .where(app_certificates.c.client_id == client_id.lower(), where).limit(1))
    return found.scalar_one_or_none()


async def set_password_hash(conn: AsyncConnection, user_id: str, password_hash: str) -> None:
    await conn.execute(users.update().where(users.c.id == user_id).values(password_hash=password_hash))


async def password_hash_of(conn: AsyncConnection, user_id: str) -> str | None:
    found = await conn.execute(sa.select(users.c.password_hash).where(users.c.id == user_id.lower()))
    return found.scalar_one_or_none()
