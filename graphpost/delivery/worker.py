"""The outbox worker: claims due entries, renders each message once, relays it, and records
what the relay said: delivered, deferred (with the next attempt) or failed (with a bounce).

Entries are leased while they are being sent; a worker that dies leaves its lease to run out and
another takes the entries again, so the relay sees a message at least once (with the same
Message-ID), never zero times."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import datetime, timedelta, timezone

from graphpost.delivery.bounces import write_bounce
from graphpost.delivery.relay import Relay, RelaySession
from graphpost.delivery.retry import RetrySchedule
from graphpost.mail import mime
from graphpost.store import attachments as attachment_store
from graphpost.store import outbox
from graphpost.store.database import Database
from graphpost.store.outbox import ClaimedEntry

log = logging.getLogger("graphpost.delivery")


def _now() -> datetime:
    return datetime.now(timezone.utc)


class DeliveryWorker:
    def __init__(self, db: Database, relay: Relay, schedule: RetrySchedule, *, batch: int = 100,
                 lease: timedelta = timedelta(minutes=10), idle_wait: float = 1.0) -> None:
        self.db = db
        self.relay = relay
        self.schedule = schedule
        self.batch = batch
        self.lease = lease
        self.idle_wait = idle_wait

    async def run(self, stopping: asyncio.Event) -> None:
        log.info("delivery worker relaying to %s:%s", self.relay.settings.relay_host, self.relay.settings.relay_port)
        while not stopping.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                log.exception("delivery round failed; trying again shortly")
                handled = 0
            if not handled:
                try:
                    await asyncio.wait_for(stopping.wait(), self.idle_wait)
                except asyncio.TimeoutError:
                    pass

    async def run_once(self) -> int:
        """One round: claim what is due and try it. Returns the number of entries tried."""
        now = _now()
        async with self.db.write() as conn:
            claimed = await outbox.claim_due(conn, now, now + self.lease, self.batch)
        by_submission: dict[str, list[ClaimedEntry]] = defaultdict(list)
        for entry in claimed:
            by_submission[entry.submission_id].append(entry)
        work = list(by_submission.items())
        lanes = min(self.relay.settings.relay_max_connections, len(work))
        # Up to relay_max_connections connections at once, each reused message after message.
        await asyncio.gather(*(self._lane(work[lane::lanes]) for lane in range(lanes)))
        return len(claimed)

    async def _lane(self, work: list[tuple[str, list[ClaimedEntry]]]) -> None:
        async with self.relay.session() as session:
            for submission_id, entries in work:
                try:
                    await self._deliver(session, submission_id, entries)
                except Exception:
                    # Its entries stay leased and are taken again when the lease runs out; the
                    # rest of the round goes on.
                    log.exception("delivering submission %s failed", submission_id)

    async def _deliver(self, session: RelaySession, submission_id: str, entries: list[ClaimedEntry]) -> None:
        async with self.db.read() as conn:
            submission = await outbox.submission(conn, submission_id)
            assert submission is not None  # entries cascade away with their submission
            parts: list[mime.MimeAttachment | mime.MimeItemAttachment] = []
            for row in await outbox.submission_files(conn, submission_id):
                content = await attachment_store.read_blob(conn, row.blob_id) if row.blob_id else b""
                if row.kind == "file":
                    parts.append(mime.MimeAttachment(row.name, row.content_type or "application/octet-stream",
                                                     content, row.is_inline, row.content_id))
                elif row.kind == "item":
                    parts.append(mime.MimeItemAttachment(row.name, content))
        message = submission.message
        # Rendered once for all its recipients; Bcc stays in the envelope, never in a header.
        raw = mime.render(message, parts, include_bcc=False, in_reply_to=message.get("inReplyTo"),
                          references=message.get("references") or ())
        outcome = await session.send(submission.sender, [entry.recipient for entry in entries], raw)
        now = _now()
        failures: dict[str, str] = dict(outcome.permanent)
        async with self.db.write() as conn:
            by_address = {entry.recipient: entry for entry in entries}
            await outbox.settle(conn, [by_address[a].id for a in outcome.accepted], outbox.DELIVERED, now)
            for address, answer in outcome.temporary.items():
                entry = by_address[address]
                when = self.schedule.next_attempt(entry.attempts + 1, entry.created_at, now)
                if when is None:
                    failures[address] = f"{answer} (gave up after {entry.attempts + 1} attempts)"
                    continue
                await outbox.settle(conn, [entry.id], outbox.DEFERRED, now, error=answer, next_attempt_at=when)
                log.info("deferred %s to %s until %s: %s", submission.internet_message_id, address,
                         when.isoformat(), answer)
            if failures:
                for address, answer in failures.items():
                    await outbox.settle(conn, [by_address[address].id], outbox.FAILED, now, error=answer)
                    log.warning("failed %s to %s: %s", submission.internet_message_id, address, answer)
                await write_bounce(conn, submission, failures, raw, now)
        for address in outcome.accepted:
            log.info("delivered %s to %s", submission.internet_message_id, address)
