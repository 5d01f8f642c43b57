"""Two dispatchers on one PostgreSQL database claim disjoint notifications (store/leases.py, as
the outbox's workers do): while both run, no notification reaches the webhook twice. SQLite has
a single claimer by design."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import sqlalchemy as sa

from graphpost.notifications.dispatcher import NotificationDispatcher
from graphpost.store.database import Database
from graphpost.store.types import UTCDateTime
from tests.api.mail_helpers import ALICE
from tests.notifications.receiver import WebhookReceiver
from tests.tokens import TokenMint

CHANGES = 300
LOG = sa.table("mailbox_changes", sa.column("user_id"), sa.column("kind"), sa.column("item_id"),
               sa.column("folder_id"), sa.column("change_type"), sa.column("txid"),
               sa.column("changed_at", UTCDateTime))


@pytest.fixture(params=["postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


async def drain(dispatcher: NotificationDispatcher) -> int:
    claimed = 0
    while handled := await dispatcher.run_once():
        claimed += handled
    return claimed


async def test_two_dispatchers_never_post_the_same_notification_twice(
        client: httpx.AsyncClient, tokens: TokenMint, db: Database, second_db: Database,
        webhook: WebhookReceiver) -> None:
    expires = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    response = await client.post("/v1.0/subscriptions", headers=await tokens.header(ALICE), json={
        "changeType": "created", "notificationUrl": webhook.url(), "resource": "me/messages",
        "expirationDateTime": expires})
    assert response.status_code == 201
    async with db.read() as conn:
        user_id = (await conn.execute(sa.text("SELECT id FROM users WHERE upn_key = :upn"), {"upn": ALICE})).scalar_one()
    async with db.write() as conn:
        await conn.execute(LOG.insert(), [
            {"user_id": user_id, "kind": "message", "item_id": f"AAMk{number}", "folder_id": "F",
             "change_type": "created", "txid": 1, "changed_at": datetime.now(timezone.utc)}
            for number in range(CHANGES)])

    async with httpx.AsyncClient() as first_http, httpx.AsyncClient() as second_http:
        # Small batches, so that the two interleave over many rounds.
        first = NotificationDispatcher(db, first_http, batch=10)
        second = NotificationDispatcher(second_db, second_http, batch=10)
        claimed = await asyncio.gather(drain(first), drain(second))
    seen = Counter(item["resourceData"]["id"] for item in webhook.items())
    assert len(seen) == CHANGES and set(seen.values()) == {1}
    assert sum(claimed) == CHANGES and all(claimed)
