"""The outbox worker: claims due entries, renders each message once (delivery/rendered.py), relays
it, and records what the relay said: delivered, deferred (with the next attempt) or failed (with a bounce).

Entries are leased to this worker (store/leases.py) while they are being sent, and the lease is
extended while a round lasts (a slow relay); a worker that dies or stalls leaves its lease to run
out and another takes the entries again, so the relay sees a message at least once (with the same
Message-ID), never zero times. The stalled one, should it wake, settles nothing it no longer holds.

A message that cannot be written as MIME fails at once for all its recipients, with a bounce:
trying it again would fail again.

Recipients of the simulator's domain (mail/simulator.py) are answered by the simulated server
(delivery/simulator.py) instead of the relay, in relay and capture mode alike (in capture mode
the worker claims nothing else). Their answers are recorded by the same `_settle` as the relay's;
they are worked on in a task of their own per round, each message settled as soon as it is
answered, so that slow@'s wait holds up neither the relay's rounds nor other simulated mail."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost import metrics
from graphpost.config import DEFAULT_DELIVERY_LEASE, DEFAULT_SIMULATOR_SLOW_DELAY
from graphpost.delivery.bounces import write_bounce
from graphpost.delivery.relay import Relay, RelayOutcome
from graphpost.delivery.rendered import RenderedMessages
from graphpost.delivery.retry import RetrySchedule
from graphpost.delivery.simulator import SimulatedServer, automatic_reply
from graphpost.errors import GraphError
from graphpost.mail import mime, receive
from graphpost.mail.simulator import SIMULATOR_DOMAIN, is_simulated
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
    """Relays what is due to `relay`; with none (capture mode), works only on the simulator's
    recipients. `simulator` answers those (slow@'s delay: `simulator_slow_delay`)."""

    def __init__(self, db: Database, relay: Relay | None, schedule: RetrySchedule, *, batch: int = 100,
                 lease: timedelta = DEFAULT_DELIVERY_LEASE, idle_wait: float = 1.0,
                 simulator: SimulatedServer | None = None) -> None:
        self.db = db
        self.relay = relay
        self.simulator = simulator or SimulatedServer(DEFAULT_SIMULATOR_SLOW_DELAY)
        self.simulating: set[asyncio.Task[None]] = set()   # this worker's rounds of simulated mail
        self.schedule = schedule
        self.batch = batch
        self.lease = lease
        self.idle_wait = idle_wait
        self.rendered = RenderedMessages()
        self.owner = new_owner()   # the name its leases are held under

    async def run(self, stopping: asyncio.Event) -> None:
        if self.relay is None:
            log.info("delivery worker answering the simulator's addresses (@%s) only", SIMULATOR_DOMAIN)
        else:
            log.info("delivery worker relaying to %s:%s", self.relay.settings.relay_host,
                     self.relay.settings.relay_port)
        try:
            await self._rounds(stopping)
        finally:
            # What is being simulated finishes (slow@ within its delay): settled, not left to a lease.
            await self.simulated()

    async def simulated(self) -> None:
        """Wait until the simulated mail of the rounds run so far is answered and settled."""
        while self.simulating:
            await asyncio.gather(*self.simulating, return_exceptions=True)

    async def _rounds(self, stopping: asyncio.Event) -> None:
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
        it lasts, to extend it). The simulator's entries are handed to a task of their own
        (`simulated` waits for it). Returns the number of entries tried."""
        now = _now()
        async with self.db.write() as conn:
            claimed = await outbox.claim_due(conn, self.owner, now, now + self.lease, self.batch,
                                             domain=SIMULATOR_DOMAIN if self.relay is None else None)
        if not claimed:
            if not self.simulating:
                self.rendered.clear()
            return 0
        simulated = [entry for entry in claimed if is_simulated(entry.recipient)]
        if simulated:
            task = asyncio.create_task(self._simulate(simulated))
            self.simulating.add(task)
            task.add_done_callback(self._simulation_done)
        relayed = [entry for entry in claimed if not is_simulated(entry.recipient)]
        if relayed:
            await self._relay(relayed)
        return len(claimed)

    def _simulation_done(self, task: asyncio.Task[None]) -> None:
        self.simulating.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulated delivery failed; its entries are tried again when their lease runs out",
                      exc_info=task.exception())

    async def _relay(self, claimed: list[ClaimedEntry]) -> None:
        assert self.relay is not None  # without one, only the simulator's entries are claimed
        by_submission = _by_submission(claimed)
        async with outbox.heartbeat(self.db, [entry.id for entry in claimed], self.owner, self.lease) as held:
            async with self.db.read() as conn:
                work = await self._load(conn, by_submission)
            lanes = min(self.relay.settings.relay_max_connections, len(work))
            # Up to relay_max_connections connections at once, each reused message after message.
            results = await asyncio.gather(*(self._lane(self.relay, work[lane::lanes], held) for lane in range(lanes)))
        done = [result for lane in results for result in lane]
        async with self.db.write() as conn:
            await self._settle(conn, done, _now())

    async def _simulate(self, claimed: list[ClaimedEntry]) -> None:
        """The simulator's entries of a round: each message answered, settled on its own as soon
        as it is, and its automatic replies received into the sender's Inbox."""
        by_submission = _by_submission(claimed)
        async with outbox.heartbeat(self.db, [entry.id for entry in claimed], self.owner, self.lease) as held:
            async with self.db.read() as conn:
                work = await self._load(conn, by_submission)
            # Each message on its own: one that fails leaves the others to finish under the heartbeat.
            failures = await asyncio.gather(*(self._simulate_one(item, held) for item in work), return_exceptions=True)
        for failure in failures:
            if isinstance(failure, BaseException):
                log.error("simulated delivery failed; its entries are tried again when their lease runs out",
                          exc_info=failure)

    async def _simulate_one(self, item: Outgoing, held: Held) -> None:
        entries = [entry for entry in item.entries if held.holds(entry.id)]
        if not entries:
            return
        item = Outgoing(item.submission, entries, item.parts, item.rendered)
        try:
            # Rendered as for the relay: it is what a bounce attaches, and what cannot be written fails alike.
            raw: bytes | None = item.rendered or await self.rendered.render(item.submission, item.parts)
        except ValueError as exc:
            raw = None
            answer = UNRENDERABLE.format(exc)
            outcome, replies = RelayOutcome(permanent={e.recipient: answer for e in entries}), []
        else:
            simulated = await self.simulator.send(entries)
            outcome, replies = simulated.outcome, simulated.auto_replies
        async with self.db.write() as conn:
            delivered = await self._settle(conn, [(item, raw, outcome)], _now())
        submission = item.submission
        for replier in replies:
            if not any(entry.recipient == replier and entry.id in delivered for entry in entries):
                continue  # another worker held it by then: it settles, and replies, itself
            reply = automatic_reply(replier, submission.sender, submission.message, _now())
            try:
                # Received as mail from outside is (mail/receive.py), as the reply of a real server would be.
                await receive.deliver(self.db, reply, [submission.sender])
            except GraphError as exc:  # the message stays delivered: a real server's reply can be lost too
                log.warning("%s's automatic reply to %s was refused: %s", replier, submission.sender, exc.message)
                continue
            log.info("%s replied automatically to %s", replier, submission.sender)

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

    async def _lane(self, relay: Relay, work: list[Outgoing],
                    held: Held) -> list[tuple[Outgoing, bytes | None, RelayOutcome]]:
        done: list[tuple[Outgoing, bytes | None, RelayOutcome]] = []
        async with relay.session() as session:
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
                      now: datetime) -> set[int]:
        """Record every outcome; returns the entries marked delivered."""
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
        return set(settled)


def _by_submission(claimed: list[ClaimedEntry]) -> dict[str, list[ClaimedEntry]]:
    by_submission: dict[str, list[ClaimedEntry]] = defaultdict(list)
    for entry in claimed:
        by_submission[entry.submission_id].append(entry)
    return by_submission
