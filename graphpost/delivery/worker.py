"""The outbox worker: claims due entries, renders each message once (delivery/rendered.py), relays
it, and records what the relay said: delivered, deferred (with the next attempt) or failed (with a bounce).

Entries are leased to this worker (store/leases.py) while they are being sent, and the lease is
extended while a round lasts (a slow relay); a worker that dies or stalls leaves its lease to run
out and another takes the entries again, so the relay sees a message at least once (with the same
Message-ID), never zero times. The stalled one, should it wake, settles nothing it no longer holds.

A message that cannot be written as MIME fails at once for all its recipients, with a bounce:
trying it again would fail again."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost import metrics
from graphpost.config import DEFAULT_DELIVERY_LEASE
from graphpost.delivery.bounces import write_bounce
from graphpost.delivery.relay import Relay, RelayOutcome
from graphpost.delivery.rendered import RenderedMessages
from graphpost.delivery.retry import RetrySchedule
from graphpost.mail import mime
from graphpost.store import attachments as attachment_store
from graphpost.store import outbox
from graphpost.store.database import Database
from graphpost.store.leases import Held, new_owner
from graphpost.store.outbox import ClaimedEntry, SubmissionRow

log = logging.getLogger("graphpost.delivery")

# RFC 3463 5.6.0, other media error: the message itself cannot be sent, whoever the recipient.
UNRENDERABLE = "554 5.6.0 The message could not be written as MIME: {}"


@dataclass(frozen=True)
class Outgoing:
    """A submission of the round with the entries claimed for it and its attachments, or, when an
    earlier round rendered it, its MIME (taken at once: a lane's render may push it out later)."""
    submission: SubmissionRow
    entries: list[ClaimedEntry]
    parts: list[mime.MimeAttachment | mime.MimeItemAttachment]
    rendered: bytes | None = None


def _now() -> datetime:
    return datetime.now(timezone.utc)


class DeliveryWorker:
    def __init__(self, db: Database, relay: Relay, schedule: RetrySchedule, *, batch: int = 100,
                 lease: timedelta = DEFAULT_DELIVERY_LEASE, idle_wait: float = 1.0) -> None:
        self.db = db
        self.relay = relay
        self.schedule = schedule
        self.batch = batch
        self.lease = lease
        self.idle_wait = idle_wait
        self.rendered = RenderedMessages()
        self.owner = new_owner()   # the name its leases are held under

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
        """One round: claim what is due, relay it, record every outcome. Three transactions per
        round whatever its size: claim, read, settle (and one more each third of the lease while
        it lasts, to extend it). Returns the number of entries tried."""
        now = _now()
        async with self.db.write() as conn:
            claimed = await outbox.claim_due(conn, self.owner, now, now + self.lease, self.batch)
        if not claimed:
            self.rendered.clear()
            return 0
        by_submission: dict[str, list[ClaimedEntry]] = defaultdict(list)
        for entry in claimed:
            by_submission[entry.submission_id].append(entry)
        async with outbox.heartbeat(self.db, [entry.id for entry in claimed], self.owner, self.lease) as held:
            async with self.db.read() as conn:
                work = await self._load(conn, by_submission)
            lanes = min(self.relay.settings.relay_max_connections, len(work))
            # Up to relay_max_connections connections at once, each reused message after message.
            results = await asyncio.gather(*(self._lane(work[lane::lanes], held) for lane in range(lanes)))
        done = [result for lane in results for result in lane]
        async with self.db.write() as conn:
            await self._settle(conn, done, _now())
        return len(claimed)

    async def _load(self, conn: AsyncConnection, by_submission: dict[str, list[ClaimedEntry]]) -> list[Outgoing]:
        ids = list(by_submission)
        found = await outbox.submissions_by_id(conn, ids)
        kept = {key: raw for key in ids if (raw := self.rendered.get(key)) is not None}
        files = await outbox.files_of_submissions(conn, [key for key in ids if key not in kept])
        work = []
        for submission_id, entries in by_submission.items():
            if submission_id in kept:
                work.append(Outgoing(found[submission_id], entries, [], kept[submission_id]))
                continue
            parts: list[mime.MimeAttachment | mime.MimeItemAttachment] = []
            for row in files[submission_id]:
                content = await attachment_store.read_blob(conn, row.blob_id) if row.blob_id else b""
                if row.kind == "file":
                    parts.append(mime.MimeAttachment(row.name, row.content_type or "application/octet-stream",
                                                     content, row.is_inline, row.content_id))
                elif row.kind == "item":
                    parts.append(mime.MimeItemAttachment(row.name, content))
            work.append(Outgoing(found[submission_id], entries, parts))
        return work

    async def _lane(self, work: list[Outgoing],
                    held: Held) -> list[tuple[Outgoing, bytes | None, RelayOutcome]]:
        done: list[tuple[Outgoing, bytes | None, RelayOutcome]] = []
        async with self.relay.session() as session:
            for item in work:
                # Entries another worker claimed since (our lease ran out) are its to relay now.
                entries = [entry for entry in item.entries if held.holds(entry.id)]
                if not entries:
                    continue
                if len(entries) < len(item.entries):
                    item = Outgoing(item.submission, entries, item.parts, item.rendered)
                try:
                    raw = item.rendered or await self.rendered.render(item.submission, item.parts)
                except ValueError as exc:
                    log.warning("cannot render %s: %s", item.submission.internet_message_id, exc)
                    answer = UNRENDERABLE.format(exc)
                    done.append((item, None, RelayOutcome(permanent={e.recipient: answer for e in item.entries})))
                    continue
                outcome = await session.send(item.submission.sender, [e.recipient for e in item.entries], raw)
                done.append((item, raw, outcome))
        return done

    async def _settle(self, conn: AsyncConnection, done: list[tuple[Outgoing, bytes | None, RelayOutcome]],
                      now: datetime) -> None:
        delivered: list[int] = []
        for item, raw, outcome in done:
            submission = item.submission
            by_address = {entry.recipient: entry for entry in item.entries}
            delivered += [by_address[address].id for address in outcome.accepted]
            for address in outcome.accepted:
                log.info("delivered %s to %s", submission.internet_message_id, address)
            failures: dict[str, str] = dict(outcome.permanent)
            for address, answer in outcome.temporary.items():
                entry = by_address[address]
                when = self.schedule.next_attempt(entry.attempts + 1, entry.created_at, now)
                if when is None:
                    failures[address] = f"{answer} (gave up after {entry.attempts + 1} attempts)"
                    continue
                if not await outbox.settle(conn, [entry.id], self.owner, outbox.DEFERRED, now, error=answer,
                                           next_attempt_at=when):
                    continue
                metrics.delivery_attempts.labels("deferred").inc()
                log.info("deferred %s to %s until %s: %s", submission.internet_message_id, address,
                         when.isoformat(), answer)
            bounced: dict[str, str] = {}
            for address, answer in failures.items():
                # An entry another worker holds now is its to settle and to bounce.
                if await outbox.settle(conn, [by_address[address].id], self.owner, outbox.FAILED, now, error=answer):
                    bounced[address] = answer
                    metrics.delivery_attempts.labels("failed").inc()
                    log.warning("failed %s to %s: %s", submission.internet_message_id, address, answer)
            if bounced:
                await write_bounce(conn, submission, bounced, raw, now)
        # Every accepted entry of the round in one statement.
        settled = await outbox.settle(conn, delivered, self.owner, outbox.DELIVERED, now)
        metrics.delivery_attempts.labels("delivered").inc(len(settled))
