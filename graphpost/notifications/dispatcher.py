"""The notification dispatcher: claims due rows of the notification queue, POSTs them batched per
endpoint, and settles each: gone when the endpoint answered 2xx, tried again later otherwise
(delivery/retry.py's schedule, over Graph's 4 hours by default), dropped when that runs out
with a lifecycle `missed` notification to the subscription's lifecycle URL.

Rows are leased as the outbox's are (store/leases.py): several dispatchers on one PostgreSQL
take disjoint rows, and one that dies leaves them to be claimed again when its lease runs out.
Between rounds it sweeps the subscriptions: removed (their user disabled: `subscriptionRemoved`),
close to expiry (`reauthorizationRequired`), expired (deleted, with what they still had queued)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import httpx

from graphpost.config import DEFAULT_DELIVERY_LEASE
from graphpost.delivery.retry import RetrySchedule
from graphpost.notifications import payloads
from graphpost.notifications.rich import RichContent
from graphpost.store import notification_queue as queue
from graphpost.store import subscriptions
from graphpost.store.database import Database
from graphpost.store.leases import new_owner
from graphpost.store.notification_queue import QueuedNotification

log = logging.getLogger("graphpost.notifications")

# Graph's documented retry period: without a 2xx, a notification is retried for up to 4 hours.
GRAPH_RETRY = RetrySchedule(first=timedelta(minutes=1), maximum=timedelta(minutes=15), lifetime=timedelta(hours=4))
# Notifications per POST: Graph batches several (of several subscriptions) into one body.
BATCH_PER_POST = 100
# Graph's publisher waits 3 seconds for an answer (Learn, "Receive change notifications through webhooks").
POST_TIMEOUT = 3.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


class NotificationDispatcher:
    def __init__(self, db: Database, client: httpx.AsyncClient, schedule: RetrySchedule = GRAPH_RETRY, *,
                 batch: int = 500, lease: timedelta = DEFAULT_DELIVERY_LEASE, idle_wait: float = 0.2,
                 sweep_every: float = 30.0, reauthorize_before: timedelta = timedelta(minutes=15),
                 post_timeout: float = POST_TIMEOUT, rich: RichContent | None = None) -> None:
        self.db = db
        self.client = client
        self.schedule = schedule
        self.batch = batch
        self.lease = lease
        self.idle_wait = idle_wait
        self.sweep_every = sweep_every
        self.reauthorize_before = reauthorize_before
        self.post_timeout = post_timeout
        self.rich = rich   # encryptedContent for subscriptions with includeResourceData
        self.owner = new_owner()

    async def run(self, stopping: asyncio.Event) -> None:
        log.info("notification dispatcher running")
        last_sweep = 0.0
        loop = asyncio.get_running_loop()
        while not stopping.is_set():
            handled = 0
            try:
                if loop.time() - last_sweep >= self.sweep_every:
                    await self.sweep()
                    last_sweep = loop.time()
                handled = await self.run_once()
            except Exception:
                log.exception("notification round failed; trying again shortly")
            if not handled:
                try:
                    await asyncio.wait_for(stopping.wait(), self.idle_wait)
                except asyncio.TimeoutError:
                    pass
        await self.client.aclose()

    async def run_once(self) -> int:
        """One round: claim, POST, settle. Returns the number of rows claimed."""
        now = _now()
        async with self.db.read() as conn:
            if not await queue.any_due(conn, now):
                return 0
        async with self.db.write() as conn:
            claimed = await queue.claim_due(conn, self.owner, now, now + self.lease, self.batch)
        if not claimed:
            return 0
        # An expired subscription sends nothing more; a lifecycle event without a lifecycle URL has nowhere to go.
        dropped = [item.id for item in claimed
                   if item.expires_at <= now or (item.lifecycle_event is not None and item.lifecycle_url is None)]
        by_url: dict[str, list[QueuedNotification]] = defaultdict(list)
        for item in claimed:
            if item.id not in dropped:
                by_url[item.lifecycle_url if item.lifecycle_event else item.notification_url].append(item)  # type: ignore[index]
        posts = [(url, items[start:start + BATCH_PER_POST]) for url, items in by_url.items()
                 for start in range(0, len(items), BATCH_PER_POST)]
        async with queue.heartbeat(self.db, [item.id for item in claimed], self.owner, self.lease) as held:
            outcomes = await asyncio.gather(*(self._post(url, [i for i in items if held.holds(i.id)])
                                              for url, items in posts))
        await self._settle(dropped, [(items, error) for (_, items), error in zip(posts, outcomes)], _now())
        return len(claimed)

    async def _post(self, url: str, items: list[QueuedNotification]) -> str | None:
        """POST these as one body; None when the endpoint took them, else why not."""
        if not items:
            return None
        body = payloads.body([payloads.lifecycle_item(i) if i.lifecycle_event else payloads.change_item(i)
                              for i in items])
        if self.rich is not None:
            await self.rich.add(items, body)
        try:
            response = await self.client.post(url, json=body, timeout=self.post_timeout)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    async def _settle(self, dropped: list[int], outcomes: list[tuple[list[QueuedNotification], str | None]],
                      now: datetime) -> None:
        done = list(dropped)
        missed: set[str] = set()
        async with self.db.write() as conn:
            for items, error in outcomes:
                if error is None:
                    done += [item.id for item in items]
                    continue
                for item in items:
                    when = self.schedule.next_attempt(item.attempts + 1, item.created_at, now)
                    if when is None:
                        log.warning("dropped notification %s of subscription %s after %s attempts: %s", item.id,
                                    item.subscription_id, item.attempts + 1, error)
                        done.append(item.id)
                        if item.change_type is not None and item.lifecycle_url is not None:
                            missed.add(item.subscription_id)
                    else:
                        await queue.defer(conn, [item.id], self.owner, when, error)
            await queue.delivered(conn, done, self.owner)
            await subscriptions.enqueue_lifecycle(conn, sorted(missed), "missed", now)

    async def sweep(self) -> None:
        """Lifecycle events due, and subscriptions gone."""
        now = _now()
        async with self.db.write() as conn:
            removed = await subscriptions.of_disabled_users(conn)
            await subscriptions.mark_removed(conn, removed, now)
            await subscriptions.enqueue_lifecycle(conn, removed, "subscriptionRemoved", now)
            expiring = await subscriptions.due_for_reauthorization(conn, now + self.reauthorize_before, now)
            await subscriptions.mark_reauthorization_sent(conn, expiring, now)
            await subscriptions.enqueue_lifecycle(conn, expiring, "reauthorizationRequired", now)
            purged = await subscriptions.purge(conn, now)
        if purged:
            log.info("removed %s expired or removed subscriptions", purged)
