"""Group commit for sendMail: requests that arrive together are written in one transaction
(mail/submission.write_send_mails), and each answered once it has committed."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from dataclasses import dataclass

from graphpost.errors import InvalidAuthenticationToken
from graphpost.mail.content import MessageContent
from graphpost.mail.deliveries import Outgoing
from graphpost.mail.known import KnownMailboxes
from graphpost.mail.submission import prepare_send_mail, write_send_mails
from graphpost.store.database import Database
from graphpost.mail.types import MailboxOwner
from graphpost.store.directory import user_by_id

log = logging.getLogger(__name__)


@dataclass
class PendingSend:
    """A checked sendMail waiting for its transaction."""
    outgoing: Outgoing
    done: asyncio.Future[None]


class SubmissionBatcher:
    """Group commit for sendMail: requests that arrive while transactions are being written are
    written together in the next one. Up to `in_flight` transactions are under way at once, so
    that the next one is ready to go when the database finishes the one before (on SQLite they
    queue in the writer process: store/sqlite_writer.py); while one is under way, another starts
    only for `min_batch` requests at least, else they wait for the next to end. Measured with 16
    concurrent clients (bench/sendmail.py, bench/README.md): every transaction rewrites the
    index pages it touches, so batches of 2-3 cost the SQLite writer ~40% more CPU per sendMail
    than batches of ~8, and it held the loop back: 4 in flight with at least 8 made sendMail/s
    ~10-15% higher than 6 with at least 3. With few clients no request waits for company: a
    transaction starts at once when none is under way.
    Each caller still returns only after its own message is committed; a batch that fails is
    retried one request at a time, so one bad request cannot fail the others."""

    def __init__(self, db: Database, outbox_state: str, max_batch: int = 64, in_flight: int = 4,
                 min_batch: int = 8) -> None:
        self._db = db
        self._outbox_state = outbox_state
        self._max_batch = max_batch
        self._min_batch = min_batch
        self._in_flight = in_flight
        self._pending: list[PendingSend] = []
        self._writers: set[asyncio.Task[None]] = set()
        self.known = KnownMailboxes()  # shared with the send path (api/routes/send.py)

    async def send_mail(self, owner: MailboxOwner, content: MessageContent, save_to_sent_items: bool) -> None:
        outgoing = prepare_send_mail(owner, content, save_to_sent_items)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(PendingSend(outgoing, done))
        self._start_writers()
        # The write runs in a task of its own: a client that disconnects cancels only this wait.
        await done

    async def drain(self) -> None:
        """Wait for the writes under way (at shutdown)."""
        while self._writers:
            await asyncio.wait(set(self._writers))

    def _start_writers(self) -> None:
        # With a write under way, another starts only for a few requests at least: under load,
        # writes of one request each would cost the loop (and the database) more per request.
        while self._pending and len(self._writers) < self._in_flight and (
                not self._writers or len(self._pending) >= self._min_batch):
            batch, self._pending = self._pending[:self._max_batch], self._pending[self._max_batch:]
            # A batch writes many requests: its log records carry none of their ids (graphpost/logs.py),
            # rather than the id of the request that happened to start it.
            writer = asyncio.create_task(self._write(batch), context=contextvars.Context())
            self._writers.add(writer)
            writer.add_done_callback(self._writer_done)

    def _writer_done(self, writer: asyncio.Task[None]) -> None:
        self._writers.discard(writer)
        self._start_writers()

    async def _write(self, batch: list[PendingSend]) -> None:
        try:
            await write_send_mails(self._db, [item.outgoing for item in batch], self._outbox_state, self.known)
            log.debug("wrote %d sendMail requests in one transaction", len(batch))
        except Exception as exc:
            # Perhaps a remembered recipient was removed since (its Inbox is gone): each request is
            # written again on its own, with recipients and folders looked up afresh.
            self.known.forget()
            if len(batch) > 1:
                log.warning("a batch of %d sendMail requests failed (%s); writing them one by one", len(batch), exc)
            for item in batch:
                try:
                    await write_send_mails(self._db, [item.outgoing], self._outbox_state, self.known)
                except Exception as single:
                    _fail(item, await self._explained(item, single))
                else:
                    _succeed(item)
        else:
            for item in batch:
                _succeed(item)

    async def _explained(self, item: PendingSend, exc: Exception) -> Exception:
        """A sender removed since its token was checked (the check remembers users for a few
        seconds, directory/recent.py) gets the 401 its token now earns, not a 500."""
        async with self._db.read() as conn:
            if await user_by_id(conn, item.outgoing.owner.id) is None:
                return InvalidAuthenticationToken("Access token validation failure. The user no longer exists.")
        return exc


def _succeed(item: PendingSend) -> None:
    if not item.done.done():
        item.done.set_result(None)


def _fail(item: PendingSend, exc: Exception) -> None:
    # Handed to the waiting request, which turns it into its answer.
    if not item.done.done():
        item.done.set_exception(exc)
