"""Subscriptions: created once their endpoints pass validation, listed, renewed and deleted, as
Graph's /subscriptions does for Outlook mail. Who sees what: a delegated caller, the
subscriptions its app made for the signed-in user; an application, those it made in its tenant
(Learn, "List subscriptions")."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from graphpost.errors import SubscriptionNotFound, SubscriptionQuotaExceeded
from graphpost.mail import mailbox
from graphpost.notifications.requests import MAX_RICH_LIFETIME, SubscriptionRequest, check_longest
from graphpost.notifications.resources import FOLDER_MESSAGES
from graphpost.notifications.validation import EndpointValidator
from graphpost.store import subscriptions as store
from graphpost.store.database import Database
from graphpost.store.subscriptions import SubscriptionRow

# Outlook: at most 1,000 active subscriptions per mailbox, all apps together.
PER_MAILBOX = 1000


@dataclass(frozen=True)
class Subscription:
    """A subscription as the edge renders it."""
    id: str
    resource: str
    application_id: str
    change_type: str
    client_state: str | None
    notification_url: str
    lifecycle_url: str | None
    expires_at: datetime
    creator_id: str
    include_resource_data: bool
    encryption_certificate: str | None
    encryption_certificate_id: str | None
    latest_tls: str


def _subscription(row: SubscriptionRow) -> Subscription:
    flags = (("created", row.on_created), ("updated", row.on_updated), ("deleted", row.on_deleted))
    return Subscription(
        id=row.id, resource=row.resource, application_id=row.application_id,
        change_type=",".join(name for name, on in flags if on), client_state=row.client_state,
        notification_url=row.notification_url, lifecycle_url=row.lifecycle_url, expires_at=row.expires_at,
        creator_id=row.creator_id, include_resource_data=row.include_resource_data,
        encryption_certificate=row.encryption_certificate, encryption_certificate_id=row.encryption_certificate_id,
        latest_tls=row.latest_tls)


@dataclass(frozen=True)
class Creator:
    """Who asks: the tenant, the app, and the signed-in user (None for an application)."""
    tenant_id: str
    application_id: str
    user_id: str | None

    @property
    def creator_id(self) -> str:
        return self.user_id or self.application_id


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def create(db: Database, creator: Creator, owner_id: str, request: SubscriptionRequest,
                 validate: EndpointValidator) -> Subscription:
    """Check the folder and the mailbox's quota, validate the endpoints (outside any
    transaction: they may take seconds), then store the subscription."""
    folder_id = None
    if request.watched.scope == FOLDER_MESSAGES:
        assert request.watched.folder_ref is not None
        folder_id = (await mailbox.get_folder(db, owner_id, request.watched.folder_ref)).id
    async with db.read() as conn:
        if await store.count_for_mailbox(conn, owner_id, _now()) >= PER_MAILBOX:
            raise SubscriptionQuotaExceeded()
    await validate(request.notification_url)
    if request.lifecycle_url is not None:
        await validate(request.lifecycle_url)
    now = _now()
    row = SubscriptionRow(
        id=str(uuid.uuid4()), tenant_id=creator.tenant_id, user_id=owner_id, application_id=creator.application_id,
        creator_id=creator.creator_id, resource=request.resource, scope=request.watched.scope, folder_id=folder_id,
        on_created="created" in request.change_types, on_updated="updated" in request.change_types,
        on_deleted="deleted" in request.change_types, notification_url=request.notification_url,
        lifecycle_url=request.lifecycle_url, client_state=request.client_state,
        include_resource_data=request.include_resource_data, encryption_certificate=request.encryption_certificate,
        encryption_certificate_id=request.encryption_certificate_id, latest_tls=request.latest_tls,
        expires_at=request.expires_at, created_at=now, reauthorize_sent_at=None, removed_at=None)
    async with db.write() as conn:
        # Counted again where it is written: two creations at once must not both take the last place.
        if await store.count_for_mailbox(conn, owner_id, now) >= PER_MAILBOX:
            raise SubscriptionQuotaExceeded()
        await store.insert(conn, row)
    return _subscription(row)


async def get(db: Database, creator: Creator, subscription_id: str) -> Subscription:
    return _subscription(await _visible_row(db, creator, subscription_id))


async def _visible_row(db: Database, creator: Creator, subscription_id: str) -> SubscriptionRow:
    async with db.read() as conn:
        row = await store.get(conn, subscription_id, _now())
    if row is None or not _sees(creator, row):
        raise SubscriptionNotFound()
    return row


def _sees(creator: Creator, row: SubscriptionRow) -> bool:
    if row.tenant_id != creator.tenant_id or row.application_id != creator.application_id:
        return False
    return creator.user_id is None or row.creator_id == creator.user_id


async def listed(db: Database, creator: Creator) -> list[Subscription]:
    async with db.read() as conn:
        rows = await store.listed(conn, creator.tenant_id, creator.application_id, creator.user_id, _now())
    return [_subscription(row) for row in rows]


async def renew(db: Database, creator: Creator, subscription_id: str, expires_at: datetime) -> Subscription:
    row = await _visible_row(db, creator, subscription_id)
    if row.include_resource_data:
        check_longest(expires_at, _now(), MAX_RICH_LIFETIME)
    async with db.write() as conn:
        await store.set_expiry(conn, subscription_id, expires_at)
    return await get(db, creator, subscription_id)


async def reauthorize(db: Database, creator: Creator, subscription_id: str) -> None:
    """The app says it still holds access: reauthorizationRequired may be sent again later."""
    row = await _visible_row(db, creator, subscription_id)
    async with db.write() as conn:
        await store.set_expiry(conn, subscription_id, row.expires_at)


async def delete(db: Database, creator: Creator, subscription_id: str) -> None:
    await _visible_row(db, creator, subscription_id)
    async with db.write() as conn:
        await store.delete(conn, subscription_id)

