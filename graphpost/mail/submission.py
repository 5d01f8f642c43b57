"""Sending: a draft (`POST …/messages/{id}/send`) or a message given whole (`sendMail`).

One transaction stamps the message sent, files it in Sent Items, delivers a copy to the Inbox of
every local recipient, queues the external ones and answers a recipient of an accepted domain that
is no user with a non-delivery report; the caller answers 202 only after it commits.
Delivery works on lists (`_deliveries`), so that sendMail requests arriving together share one
transaction (SubmissionBatcher); a batch without attachments is computed whole first and written as
a few statements in one transaction (on SQLite, by the writer process: store/sqlite_writer.py).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.errors import InvalidAuthenticationToken, InvalidOperation, SendAsDenied
from graphpost.mail import attachments, bounces, ids, mime, recipient_limit
from graphpost.mail.attachments import NewAttachment
from graphpost.mail.content import MessageContent
from graphpost.mail.known import KnownMailboxes
from graphpost.mail.lookup import existing, now
from graphpost.mail.messages import draft_from, snapshot
from graphpost.mail.model import recipient_for
from graphpost.mail.recipients import check_submittable
from graphpost.mail.types import MailboxOwner
from graphpost.store import attachments as attachment_store
from graphpost.store import bulk
from graphpost.store import directory as directory_store
from graphpost.store import mailbox as store
from graphpost.store import outbox
from graphpost.store.attachments import AttachmentRow
from graphpost.store.database import Database
from graphpost.store.directory import user_by_id
from graphpost.store.mailbox import LocalRecipient, MessageRow

log = logging.getLogger(__name__)

# What the relay needs to render the message later, whatever happens to the sender's copies.
_SUBMITTED_PROPERTIES = ("subject", "body", "from", "sender", "toRecipients", "ccRecipients", "bccRecipients",
                         "replyTo", "importance", "internetMessageId", "internetMessageHeaders",
                         "conversationIndex", "sentDateTime", "isDeliveryReceiptRequested",
                         "isReadReceiptRequested", "inReplyTo", "references")


@dataclass
class Outgoing:
    """A message on its way out: stamped sent, with its unique recipients and attachment rows."""
    owner: MailboxOwner
    sent: MessageRow
    recipients: list[str]
    files: list[AttachmentRow] = field(default_factory=list)


def _stamp_sent(row: MessageRow, owner: MailboxOwner, at: datetime) -> None:
    """Turn a draft into the sent message, in place."""
    sender = recipient_for(owner.display_name, owner.mail)
    given_from = row.data.get("from")
    if given_from and given_from["emailAddress"]["address"].lower() != owner.mail.lower():
        raise SendAsDenied()
    row.data["from"] = given_from or sender
    row.data["sender"] = sender
    row.from_address = owner.mail.lower()
    row.is_draft = False
    row.is_read = True
    row.sent_at = row.received_at = row.modified_at = at
    row.change_key = ids.new_change_key()


def received_copies(sent: MessageRow, recipients: list[tuple[str, str]], at: datetime) -> list[MessageRow]:
    """The copy each recipient, given as (user id, Inbox id), receives of `sent`."""
    # One shallow copy of the data for them all: from here on it is only read (and serialised,
    # once per statement: store/bulk.py).
    data = dict(sent.data)
    # Bcc is for the envelope: no recipient's copy shows it.
    data.update(bccRecipients=[], categories=[], flag={"flagStatus": "notFlagged"},
                inferenceClassification="focused")
    return [MessageRow(
        id=ids.new_message_id(), user_id=recipient_id, folder_id=inbox_id, change_key=ids.new_change_key(),
        created_at=at, modified_at=at, received_at=at, sent_at=sent.sent_at, subject=sent.subject,
        is_read=False, is_draft=False, importance=sent.importance, has_attachments=sent.has_attachments,
        internet_message_id=sent.internet_message_id, conversation_id=sent.conversation_id,
        from_address=sent.from_address, data=data, immutable_id=ids.new_immutable_id())
        for recipient_id, inbox_id in recipients]


def _submitted(sent: MessageRow) -> dict[str, Any]:
    graph = snapshot(sent)
    return {key: graph.get(key) for key in _SUBMITTED_PROPERTIES}


def _wanted_addresses(batch: list[Outgoing]) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = defaultdict(set)
    for out in batch:
        if recipient_limit.exceeded(out.recipients):
            continue  # delivered to no one
        wanted[out.owner.tenant_id].update(address.lower() for address in out.recipients)
    return wanted


def _remembered_recipients(batch: list[Outgoing],
                           known: KnownMailboxes) -> dict[tuple[str, str], LocalRecipient] | None:
    """The local recipients of the batch, from the app's memory alone; None when it does not know
    every address (an external one, or a user it has not seen lately)."""
    found: dict[tuple[str, str], LocalRecipient] = {}
    for tenant_id, keys in _wanted_addresses(batch).items():
        users, unknown = known.remembered_recipients(tenant_id, keys)
        if unknown:
            return None
        found.update(((tenant_id, key), user) for key, user in users.items())
    return found


async def _local_recipients(conn: AsyncConnection, batch: list[Outgoing],
                            known: KnownMailboxes) -> dict[tuple[str, str], LocalRecipient]:
    found = {}
    for tenant_id, keys in _wanted_addresses(batch).items():
        for key, user in (await known.local_recipients(conn, tenant_id, keys)).items():
            found[(tenant_id, key)] = user
    return found


@dataclass
class _Deliveries:
    """What a batch leaves behind besides the senders' copies: the recipients' copies (with their
    attachment rows) and the submissions of external recipients (with theirs)."""
    copies: list[MessageRow] = field(default_factory=list)
    copy_files: list[AttachmentRow] = field(default_factory=list)
    external_mail: list[outbox.NewSubmission] = field(default_factory=list)
    external_files: list[tuple[str, list[AttachmentRow]]] = field(default_factory=list)
    not_found: list[tuple[Outgoing, list[str]]] = field(default_factory=list)
    over_limit: list[Outgoing] = field(default_factory=list)   # each gets an NDR instead (_deliver_all)


async def _not_found(conn: AsyncConnection, batch: list[Outgoing],
                     local: dict[tuple[str, str], LocalRecipient]) -> set[tuple[str, str]]:
    """The recipients, by (tenant, address), in an accepted domain of their sender's tenant that are
    no user there. Exchange Online answers them with a non-delivery report, 550 5.1.10
    RecipientNotFound; relayed, they would go to the smart host as if they were someone else's."""
    found = set()
    accepted: dict[str, set[str]] = {}
    for out in batch:
        tenant_id = out.owner.tenant_id
        for address in out.recipients:
            key = (tenant_id, address.lower())
            if key in local:
                continue
            if tenant_id not in accepted:
                accepted[tenant_id] = await directory_store.accepted_domains(conn, tenant_id)
            if key[1].rpartition("@")[2] in accepted[tenant_id]:
                found.add(key)
    return found


def _deliveries(batch: list[Outgoing], local: dict[tuple[str, str], LocalRecipient], at: datetime,
                not_found: set[tuple[str, str]] | None = None) -> _Deliveries:
    found = _Deliveries()
    for out in batch:
        if recipient_limit.exceeded(out.recipients):
            found.over_limit.append(out)
            continue
        external = []
        inboxes = []
        nobody = []
        for address in out.recipients:
            key = (out.owner.tenant_id, address.lower())
            user = local.get(key)
            if user is not None:
                inboxes.append((user.user_id, user.inbox_id))
            elif not_found and key in not_found:
                nobody.append(address)
            else:
                external.append(address)
        if nobody:
            found.not_found.append((out, nobody))
        for received in received_copies(out.sent, inboxes, at):
            found.copies.append(received)
            if out.files:
                # Each copy gets its own attachment rows; the content is shared, not copied.
                found.copy_files += attachment_store.copies_for(out.files, received.id,
                                                                [ids.new_attachment_id() for _ in out.files])
        if external:
            # Queued for the relay, or, with none configured, captured: kept and listed, never sent.
            submission = outbox.NewSubmission(str(uuid.uuid4()), out.owner.id, out.sent.internet_message_id,
                                              _submitted(out.sent), external)
            found.external_mail.append(submission)
            found.external_files.append((submission.id, out.files))
    return found


async def _deliver_all(conn: AsyncConnection, batch: list[Outgoing], at: datetime, outbox_state: str,
                       known: KnownMailboxes | None = None) -> None:
    """Local copies, outbox entries and reports (recipients not found, too many recipients) for
    every message of the batch, in a handful of statements."""
    local = await _local_recipients(conn, batch, known or KnownMailboxes())
    found = _deliveries(batch, local, at, await _not_found(conn, batch, local))
    reports = [recipient_limit.report(out.sent, out.owner.mail, await store.folder_id_of(conn, out.owner.id, "inbox"),
                                      len(out.recipients), at) for out in found.over_limit]
    await store.insert_messages(conn, found.copies + reports)
    await attachment_store.insert_attachments(conn, found.copy_files)
    await outbox.add_submissions(conn, found.external_mail, outbox_state, at)
    await attachment_store.insert_submission_attachments(conn, found.external_files)
    for out, nobody in found.not_found:
        undelivered = bounces.Undelivered(out.owner.id, out.owner.mail, out.sent.internet_message_id,
                                          _submitted(out.sent))
        await bounces.write_bounce(conn, undelivered, dict.fromkeys(nobody, bounces.RECIPIENT_NOT_FOUND),
                                   _original_mime(undelivered.message), at)


def _original_mime(message: dict[str, Any]) -> bytes:
    """The sent message's MIME for its report, without its attachments (the report holds the
    message, not another copy of its files)."""
    try:
        return mime.render(message, in_reply_to=message.get("inReplyTo"), references=message.get("references") or ())
    except ValueError:  # a custom header or id the message could hold but no MIME can: the report still goes
        return b""


async def submit_draft(conn: AsyncConnection, owner: MailboxOwner, draft: MessageRow, outbox_state: str,
                       known: KnownMailboxes | None = None) -> None:
    """Send a draft inside the caller's transaction; `known` is the app's memory of local
    recipients and Sent Items folders (mail/known.py), when the caller has it."""
    known = known or KnownMailboxes()
    if not draft.is_draft:
        raise InvalidOperation("Only a draft message can be sent; this message has already been sent "
                               "or was received.")
    recipients = check_submittable(draft.data)
    at = now()
    sent = copy.deepcopy(draft)
    _stamp_sent(sent, owner, at)
    # Graph files the sent message as a new item: the draft's id stops answering.
    sent.id = ids.new_message_id()
    sent.folder_id = (await known.sent_items(conn, [owner.id]))[owner.id]
    await store.replace_message(conn, draft.id, sent)
    # The attachment rows followed the new id (ON UPDATE CASCADE).
    files = await attachment_store.attachments_of(conn, sent.id)
    await _deliver_all(conn, [Outgoing(owner, sent, recipients, files)], at, outbox_state, known)


async def send_draft(db: Database, owner: MailboxOwner, message_id: str, outbox_state: str,
                     known: KnownMailboxes | None = None) -> None:
    known = known or KnownMailboxes()
    try:
        async with db.write() as conn:
            await submit_draft(conn, owner, await existing(conn, owner, message_id, for_update=True), outbox_state,
                               known)
    except IntegrityError:
        # A remembered recipient removed since (its Inbox is gone): once more, looked up afresh.
        known.forget()
        async with db.write() as conn:
            await submit_draft(conn, owner, await existing(conn, owner, message_id, for_update=True), outbox_state,
                               known)


@dataclass
class PendingSend:
    """A checked sendMail waiting for its transaction."""
    outgoing: Outgoing
    save_to_sent_items: bool
    new_attachments: list[NewAttachment]
    done: asyncio.Future[None]


def prepare_send_mail(owner: MailboxOwner, content: MessageContent) -> Outgoing:
    """Everything that can refuse a sendMail, done before any lock is taken."""
    at = now()
    sent = draft_from(owner, "", content, at)
    recipients = check_submittable(sent.data)
    _stamp_sent(sent, owner, at)
    sent.has_attachments = any(not new.is_inline for new in content.attachments)
    return Outgoing(owner, sent, recipients)


async def _write_send_mails(db: Database, batch: list[PendingSend], outbox_state: str,
                            known: KnownMailboxes) -> None:
    if any(item.new_attachments or recipient_limit.exceeded(item.outgoing.recipients) for item in batch):
        # The NDR of a message over the recipient limit needs the sender's Inbox, looked up in the write.
        await _write_send_mails_with_files(db, batch, outbox_state, known)
        return
    owners = {item.outgoing.owner.id for item in batch if item.save_to_sent_items}
    outgoing = [item.outgoing for item in batch]
    sent_items = known.remembered_sent_items(owners)
    local = _remembered_recipients(outgoing, known)
    if sent_items is None or local is None:
        # Looked up before the write, so that the write itself is a single trip to the database.
        async with db.read() as conn:
            sent_items = await known.sent_items(conn, owners)
            local = await _local_recipients(conn, outgoing, known)
            bounced = bool(await _not_found(conn, outgoing, local))
        if bounced:
            # A report carries the original as an attachment, whose content is written inside the
            # transaction: such a batch is written as one with attachments is.
            await _write_send_mails_with_files(db, batch, outbox_state, known)
            return
    at = now()
    saved = [item.outgoing.sent for item in batch if item.save_to_sent_items]
    for sent in saved:
        sent.folder_id = sent_items[sent.user_id]
    delivered = _deliveries(outgoing, local, at)
    await bulk.insert_all(db, [store.message_inserts(saved + delivered.copies),
                               *outbox.submission_inserts(delivered.external_mail, outbox_state, at)])


async def _write_send_mails_with_files(db: Database, batch: list[PendingSend], outbox_state: str,
                                       known: KnownMailboxes) -> None:
    # Attachment content is written chunk by chunk inside the transaction (mail/attachments.py).
    async with db.write() as conn:
        at = now()
        saved = [item for item in batch if item.save_to_sent_items]
        sent_items = await known.sent_items(conn, {item.outgoing.owner.id for item in saved})
        for item in batch:
            out = item.outgoing
            out.files = await attachments.prepare(conn, out.sent.id, item.new_attachments, at)
            if item.save_to_sent_items:
                out.sent.folder_id = sent_items[out.owner.id]
        await store.insert_messages(conn, [item.outgoing.sent for item in saved])
        await attachment_store.insert_attachments(conn, [row for item in saved for row in item.outgoing.files])
        await _deliver_all(conn, [item.outgoing for item in batch], at, outbox_state, known)


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
        outgoing = prepare_send_mail(owner, content)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append(PendingSend(outgoing, save_to_sent_items, content.attachments, done))
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
            writer = asyncio.create_task(self._write(batch))
            self._writers.add(writer)
            writer.add_done_callback(self._writer_done)

    def _writer_done(self, writer: asyncio.Task[None]) -> None:
        self._writers.discard(writer)
        self._start_writers()

    async def _write(self, batch: list[PendingSend]) -> None:
        try:
            await _write_send_mails(self._db, batch, self._outbox_state, self.known)
            log.debug("wrote %d sendMail requests in one transaction", len(batch))
        except Exception as exc:
            # Perhaps a remembered recipient was removed since (its Inbox is gone): each request is
            # written again on its own, with recipients and folders looked up afresh.
            self.known.forget()
            if len(batch) > 1:
                log.warning("a batch of %d sendMail requests failed (%s); writing them one by one", len(batch), exc)
            for item in batch:
                try:
                    await _write_send_mails(self._db, [item], self._outbox_state, self.known)
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
