"""Rows of the identity endpoint's sign-in grants: authorization codes, refresh tokens and device
codes (schema.py). Secrets arrive here already hashed; taking a code or a token deletes its row
in the same statement's transaction, so two nodes cannot both redeem it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store.schema import authorization_codes, device_codes, refresh_tokens


@dataclass(frozen=True)
class CodeRow:
    client_id: str
    user_id: str
    redirect_uri: str
    code_challenge: str | None
    challenge_method: str | None
    scope: str
    nonce: str | None
    expires_at: datetime


@dataclass(frozen=True)
class RefreshRow:
    client_id: str
    user_id: str
    scope: str
    expires_at: datetime


@dataclass(frozen=True)
class DeviceRow:
    device_code_hash: str
    user_code: str
    client_id: str
    scope: str
    state: str
    user_id: str | None
    last_polled_at: datetime | None
    expires_at: datetime


async def insert_code(conn: AsyncConnection, code_hash: str, row: CodeRow) -> None:
    await conn.execute(sa.insert(authorization_codes).values(code_hash=code_hash, **row.__dict__))


async def take_code(conn: AsyncConnection, code_hash: str) -> CodeRow | None:
    """The code's row, deleted: whoever deletes it redeems it, anyone after finds nothing."""
    found = await conn.execute(sa.select(authorization_codes).where(authorization_codes.c.code_hash == code_hash))
    row = found.first()
    if row is None:
        return None
    deleted = await conn.execute(sa.delete(authorization_codes).where(authorization_codes.c.code_hash == code_hash))
    if deleted.rowcount != 1:
        return None
    return CodeRow(row.client_id, row.user_id, row.redirect_uri, row.code_challenge, row.challenge_method,
                   row.scope, row.nonce, row.expires_at)


async def insert_refresh(conn: AsyncConnection, token_hash: str, row: RefreshRow) -> None:
    await conn.execute(sa.insert(refresh_tokens).values(token_hash=token_hash, **row.__dict__))


async def take_refresh(conn: AsyncConnection, token_hash: str) -> RefreshRow | None:
    row = (await conn.execute(sa.select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash))).first()
    if row is None:
        return None
    deleted = await conn.execute(sa.delete(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash))
    if deleted.rowcount != 1:
        return None
    return RefreshRow(row.client_id, row.user_id, row.scope, row.expires_at)


async def revoke_refresh_of_user(conn: AsyncConnection, user_id: str) -> None:
    await conn.execute(sa.delete(refresh_tokens).where(refresh_tokens.c.user_id == user_id))


async def insert_device(conn: AsyncConnection, row: DeviceRow) -> None:
    await conn.execute(sa.insert(device_codes).values(**row.__dict__))


def _device(row: sa.Row) -> DeviceRow:
    return DeviceRow(row.device_code_hash, row.user_code, row.client_id, row.scope, row.state, row.user_id,
                     row.last_polled_at, row.expires_at)


async def device_by_hash(conn: AsyncConnection, device_code_hash: str) -> DeviceRow | None:
    row = (await conn.execute(sa.select(device_codes).where(
        device_codes.c.device_code_hash == device_code_hash))).first()
    return _device(row) if row else None


async def device_by_user_code(conn: AsyncConnection, user_code: str) -> DeviceRow | None:
    row = (await conn.execute(sa.select(device_codes).where(device_codes.c.user_code == user_code))).first()
    return _device(row) if row else None


async def mark_polled(conn: AsyncConnection, device_code_hash: str, now: datetime) -> None:
    await conn.execute(sa.update(device_codes).where(device_codes.c.device_code_hash == device_code_hash)
                       .values(last_polled_at=now))


async def decide_device(conn: AsyncConnection, user_code: str, state: str, user_id: str | None) -> bool:
    """Approve or decline a pending code; False when it is no longer pending."""
    done = await conn.execute(sa.update(device_codes).where(
        device_codes.c.user_code == user_code, device_codes.c.state == "pending").values(state=state, user_id=user_id))
    return bool(done.rowcount == 1)


async def delete_device(conn: AsyncConnection, device_code_hash: str) -> bool:
    done = await conn.execute(sa.delete(device_codes).where(device_codes.c.device_code_hash == device_code_hash))
    return bool(done.rowcount == 1)


async def delete_expired(conn: AsyncConnection, now: datetime) -> None:
    for table in (authorization_codes, refresh_tokens, device_codes):
        await conn.execute(sa.delete(table).where(table.c.expires_at < now))
