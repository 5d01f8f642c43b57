"""Change notification subscriptions: their rows, and the statements over them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store.schema import notification_queue, subscriptions, users


@dataclass(frozen=True)
class SubscriptionRow:
    id: str
    tenant_id: str
    user_id: str
    application_id: str
    creator_id: str
    resource: str
    scope: str
    folder_id: str | None
    on_created: bool
    on_updated: bool
    on_deleted: bool
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    include_resource_data: bool
    encryption_certificate: str | None
    encryption_certificate_id: str | None
    latest_tls: str
    expires_at: datetime
    created_at: datetime
    reauthorize_sent_at: datetime | None
    removed_at: datetime | None


def _live() -> sa.ColumnElement[bool]:
    return subscriptions.c.removed_at.is_(None)


async def insert(conn: AsyncConnection, row: SubscriptionRow) -> None:
    await conn.execute(subscriptions.insert().values(**row.__dict__))


async def count_for_mailbox(conn: AsyncConnection, user_id: str, now: datetime) -> int:
    query = (sa.select(sa.func.count()).select_from(subscriptions)
             .where(subscriptions.c.user_id == user_id, _live(), subscriptions.c.expires_at > now))
    return (await conn.execute(query)).scalar_one()


async def get(conn: AsyncConnection, subscription_id: str, now: datetime) -> SubscriptionRow | None:
    """A live subscription: neither removed nor expired (Graph forgets an expired one)."""
    row = (await conn.execute(sa.select(subscriptions).where(
        subscriptions.c.id == subscription_id, _live(), subscriptions.c.expires_at > now))).first()
    return SubscriptionRow(**row._mapping) if row else None


async def listed(conn: AsyncConnection, tenant_id: str, application_id: str, creator_id: str | None,
                 now: datetime) -> list[SubscriptionRow]:
    """The live subscriptions an app made in a tenant; with `creator_id`, only that creator's."""
    where = (subscriptions.c.tenant_id == tenant_id) & (subscriptions.c.application_id == application_id)
    if creator_id is not None:
        where &= subscriptions.c.creator_id == creator_id
    rows = await conn.execute(sa.select(subscriptions).where(where, _live(), subscriptions.c.expires_at > now)
                              .order_by(subscriptions.c.created_at, subscriptions.c.id))
    return [SubscriptionRow(**row._mapping) for row in rows]


async def set_expiry(conn: AsyncConnection, subscription_id: str, expires_at: datetime) -> None:
    """A renewal: the new expiry, and reauthorizationRequired may be sent again before it."""
    await conn.execute(subscriptions.update().where(subscriptions.c.id == subscription_id)
                       .values(expires_at=expires_at, reauthorize_sent_at=None))


async def delete(conn: AsyncConnection, subscription_id: str) -> None:
    """Gone at once, with whatever its queue still held (as Graph stops sending on delete)."""
    await conn.execute(subscriptions.delete().where(subscriptions.c.id == subscription_id))


async def enqueue_lifecycle(conn: AsyncConnection, subscription_ids: list[str], event: str, now: datetime) -> None:
    if subscription_ids:
        await conn.execute(notification_queue.insert(), [
            {"subscription_id": sid, "lifecycle_event": event, "created_at": now} for sid in subscription_ids])


async def due_for_reauthorization(conn: AsyncConnection, before: datetime, now: datetime) -> list[str]:
    """Live subscriptions with a lifecycle URL that expire before `before` and were not told yet."""
    rows = await conn.execute(sa.select(subscriptions.c.id).where(
        _live(), subscriptions.c.lifecycle_url.is_not(None), subscriptions.c.reauthorize_sent_at.is_(None),
        subscriptions.c.expires_at > now, subscriptions.c.expires_at <= before))
    return [row.id for row in rows]


async def mark_reauthorization_sent(conn: AsyncConnection, subscription_ids: list[str], now: datetime) -> None:
    if subscription_ids:
        await conn.execute(subscriptions.update().where(subscriptions.c.id.in_(subscription_ids))
                           .values(reauthorize_sent_at=now))


async def of_disabled_users(conn: AsyncConnection) -> list[str]:
    """Live subscriptions on mailboxes whose user can no longer sign in: Graph removes them."""
    rows = await conn.execute(sa.select(subscriptions.c.id).join(users, users.c.id == subscriptions.c.user_id)
                              .where(_live(), users.c.account_enabled.is_(False)))
    return [row.id for row in rows]


async def mark_removed(conn: AsyncConnection, subscription_ids: list[str], now: datetime) -> None:
    """Removed: nothing more is queued for them, and what was queued of changes is dropped."""
    if subscription_ids:
        await conn.execute(subscriptions.update().where(subscriptions.c.id.in_(subscription_ids))
                           .values(removed_at=now))
        await conn.execute(notification_queue.delete().where(
            notification_queue.c.subscription_id.in_(subscription_ids), notification_queue.c.change_type.is_not(None)))


async def purge(conn: AsyncConnection, now: datetime) -> int:
    """Delete expired subscriptions, and removed ones whose queue is empty (their lifecycle
    notification has been sent or given up). Their queued notifications go with them."""
    pending = sa.select(notification_queue.c.id).where(notification_queue.c.subscription_id == subscriptions.c.id)
    result = await conn.execute(subscriptions.delete().where(sa.or_(
        subscriptions.c.expires_at <= now,
        subscriptions.c.removed_at.is_not(None) & ~sa.exists(pending))))
    return result.rowcount or 0
