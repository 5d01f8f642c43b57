"""The queue of change and lifecycle notifications waiting to be POSTed.

Change rows are written by a trigger on mailbox_changes (migration 0013), in the transaction of
the change itself: a change committed is a notification queued, whatever happens to the process
next. Workers lease rows (store/leases.py, as the outbox does), so that workers sharing one
PostgreSQL never POST one notification twice while both are alive."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store import leases
from graphpost.store.database import Database
from graphpost.store.schema import messages, notification_queue, subscriptions


@dataclass(frozen=True)
class QueuedNotification:
    """A claimed row with what its POST needs of its subscription and of the item."""
    id: int
    subscription_id: str
    change_type: str | None
    lifecycle_event: str | None
    item_kind: str | None
    item_id: str | None
    attempts: int
    created_at: datetime
    tenant_id: str
    application_id: str
    user_id: str
    resource: str            # the subscription's, as the client wrote it (its $select shapes rich content)
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expires_at: datetime
    include_resource_data: bool
    encryption_certificate: str | None
    encryption_certificate_id: str | None
    change_key: str | None   # the message's, when it still exists (its @odata.etag)


def _due(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(notification_queue.c.next_attempt_at.is_(None), notification_queue.c.next_attempt_at <= now)


async def any_due(conn: AsyncConnection, now: datetime) -> bool:
    """Whether a claim would find anything: a read, so that an idle dispatcher polls without
    taking SQLite's write lock (or a PostgreSQL row lock) every round."""
    free = sa.or_(notification_queue.c.lease_until.is_(None), notification_queue.c.lease_until <= now)
    query = sa.select(notification_queue.c.id).where(_due(now), free).limit(1)
    return (await conn.execute(query)).first() is not None


async def claim_due(conn: AsyncConnection, owner: str, now: datetime, lease_until: datetime,
                    limit: int) -> list[QueuedNotification]:
    ids = await leases.claim(conn, notification_queue, _due(now), owner, now, lease_until, limit)
    if not ids:
        return []
    q = notification_queue
    rows = await conn.execute(
        sa.select(q.c.id, q.c.subscription_id, q.c.change_type, q.c.lifecycle_event, q.c.item_kind, q.c.item_id,
                  q.c.attempts, q.c.created_at, subscriptions.c.tenant_id, subscriptions.c.application_id, subscriptions.c.user_id,
                  subscriptions.c.resource,
                  subscriptions.c.notification_url, subscriptions.c.lifecycle_url, subscriptions.c.client_state,
                  subscriptions.c.expires_at, subscriptions.c.include_resource_data,
                  subscriptions.c.encryption_certificate, subscriptions.c.encryption_certificate_id,
                  messages.c.change_key)
        .join(subscriptions, subscriptions.c.id == q.c.subscription_id)
        .outerjoin(messages, (q.c.item_kind == "message") & (messages.c.id == q.c.item_id))
        .where(q.c.id.in_(ids)).order_by(q.c.id))
    return [QueuedNotification(**row._mapping) for row in rows]


def heartbeat(db: Database, ids: list[int], owner: str, lease: timedelta) -> AbstractAsyncContextManager[leases.Held]:
    return leases.heartbeat(db, notification_queue, ids, owner, lease)


async def delivered(conn: AsyncConnection, ids: list[int], owner: str) -> list[int]:
    """Rows the endpoint took leave the queue (those still ours: another worker's are its own)."""
    if not ids:
        return []
    result = await conn.execute(notification_queue.delete().where(
        notification_queue.c.id.in_(ids), notification_queue.c.lease_owner == owner)
        .returning(notification_queue.c.id))
    return sorted(row.id for row in result)


async def defer(conn: AsyncConnection, ids: list[int], owner: str, when: datetime, error: str) -> list[int]:
    return await leases.release(conn, notification_queue, ids, owner, {
        "next_attempt_at": when, "last_error": error, "attempts": notification_queue.c.attempts + 1})


async def pending(conn: AsyncConnection, subscription_id: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(notification_queue)
    if subscription_id is not None:
        query = query.where(notification_queue.c.subscription_id == subscription_id)
    return (await conn.execute(query)).scalar_one()
