"""What a submission writes, computed whole before it is written: the sent message (filed in Sent
Items, or, for a draft's send, the draft rewritten as it), a copy in the Inbox of every local
recipient, one outbox entry per external recipient, and the reports its sender receives instead
(a recipient of an accepted domain that is no user; too many recipients), with their attachments.

`writes` is the one place that turns a list of submissions into rows (`bulk.Writes`), whether a
sendMail batch (mail/send_batch.py) or a draft's send (mail/submission.py) asks; one executor
writes them (store/bulk.py), in a transaction of their own or in the caller's. What they depend on
(`Found`) is looked up first: from the app's memory when it knows it all (`remembered`), else
from the database (`look_up`)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.mail import attachments, bounces, ids, mime, recipient_limit, simulator
from graphpost.mail.attachments import NewAttachment
from graphpost.mail.known import KnownMailboxes
from graphpost.mail.messages import snapshot
from graphpost.store import attachments as attachment_store
from graphpost.store import bulk
from graphpost.store import directory as directory_store
from graphpost.store import mailbox as store
from graphpost.store import outbox
from graphpost.store.attachments import AttachmentRow
from graphpost.mail.types import MailboxOwner
from graphpost.store.mailbox import LocalRecipient, MessageRow
from graphpost.store.schema import messages

# What the relay needs to render the message later, whatever happens to the sender's copies.
_SUBMITTED_PROPERTIES = ("subject", "body", "from", "sender", "toRecipients", "ccRecipients", "bccRecipients",
                         "replyTo", "importance", "internetMessageId", "internetMessageHeaders",
                         "conversationIndex", "sentDateTime", "isDeliveryReceiptRequested",
                         "isReadReceiptRequested", "inReplyTo", "references")


@dataclass
class Outgoing:
    """A message on its way out: stamped sent, with its unique recipients and its attachments,
    either stored already (`files`, a draft's) or given with it (`new_files`, a sendMail's)."""
    owner: MailboxOwner
    sent: MessageRow
    recipients: list[str]
    files: list[AttachmentRow] = field(default_factory=list)
    new_files: list[NewAttachment] = field(default_factory=list)
    saved: bool = True             # filed in Sent Items (sendMail's saveToSentItems)
    draft_id: str | None = None    # the draft it is written over, for a draft's send


@dataclass(frozen=True)
class Found:
    """What the rows of a batch depend on, looked up before they are built."""
    sent_items: dict[str, str]                         # by user id, of the senders who keep a copy
    local: dict[tuple[str, str], LocalRecipient]       # by (tenant id, lower-cased address)
    not_found: set[tuple[str, str]] = field(default_factory=set)  # in an accepted domain, no user
    inboxes: dict[str, str] = field(default_factory=dict)         # by user id, of senders with reports


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


def remembered(batch: list[Outgoing], known: KnownMailboxes) -> Found | None:
    """What the batch depends on, from the app's memory alone; None when it does not know all of
    it (an external address, a user it has not seen lately, a report to write)."""
    if any(recipient_limit.exceeded(out.recipients) for out in batch):
        return None  # its report needs the sender's Inbox
    sent_items = known.remembered_sent_items({out.owner.id for out in batch if out.saved})
    if sent_items is None:
        return None
    local: dict[tuple[str, str], LocalRecipient] = {}
    for tenant_id, keys in _wanted_addresses(batch).items():
        users, unknown = known.remembered_recipients(tenant_id, keys)
        if unknown:
            return None
        local.update(((tenant_id, key), user) for key, user in users.items())
    return Found(sent_items, local)


async def look_up(conn: AsyncConnection, batch: list[Outgoing], known: KnownMailboxes) -> Found:
    """What the batch depends on, from the database (and the app's memory of what never changes)."""
    sent_items = await known.sent_items(conn, {out.owner.id for out in batch if out.saved})
    local = {}
    for tenant_id, keys in _wanted_addresses(batch).items():
        for key, user in (await known.local_recipients(conn, tenant_id, keys)).items():
            local[(tenant_id, key)] = user
    not_found = await _not_found(conn, batch, local)
    reporting = {out.owner.id for out in batch if recipient_limit.exceeded(out.recipients)
                 or any((out.owner.tenant_id, address.lower()) in not_found for address in out.recipients)}
    inboxes = await store.well_known_folder_ids(conn, reporting, "inbox") if reporting else {}
    return Found(sent_items, local, not_found, inboxes)


async def _not_found(conn: AsyncConnection, batch: list[Outgoing],
                     local: dict[tuple[str, str], LocalRecipient]) -> set[tuple[str, str]]:
    """The recipients, by (tenant, address), in an accepted domain of their sender's tenant that are
    no user there. Exchange Online answers them with a non-delivery report, 550 5.1.10
    RecipientNotFound; relayed, they would go to the smart host as if they were someone else's."""
    found = set()
    accepted: dict[str, set[str]] = {}
    for out in batch:
        if recipient_limit.exceeded(out.recipients):
            continue  # delivered to no one: its report says why
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


@dataclass
class _Rows:
    """The rows of a batch by kind, gathered in the order of their statements."""
    replaced: list[tuple[str, MessageRow]] = field(default_factory=list)
    messages: list[MessageRow] = field(default_factory=list)
    contents: list[tuple[str, bytes]] = field(default_factory=list)
    files: list[AttachmentRow] = field(default_factory=list)
    external_mail: list[outbox.NewSubmission] = field(default_factory=list)
    external_files: list[tuple[str, list[AttachmentRow]]] = field(default_factory=list)

    def attach(self, message_id: str, new: list[NewAttachment], at: datetime) -> list[AttachmentRow]:
        files, contents = attachments.new_rows(message_id, new, at)
        self.contents += contents
        return files

    def writes(self, outbox_state: str, at: datetime) -> bulk.Writes:
        # Blobs before the attachment rows that hold them, submissions before their entries.
        return bulk.Writes(
            inserts=[store.message_inserts(self.messages), *attachment_store.blob_inserts(self.contents, at),
                     attachment_store.attachment_inserts(self.files),
                     *outbox.submission_inserts(self.external_mail, _entry_state(outbox_state), at),
                     attachment_store.submission_attachment_inserts(self.external_files)],
            updates=[(messages, [{bulk.OLD_ID: old_id, **row.values()} for old_id, row in self.replaced])])


def _entry_state(outbox_state: str) -> Callable[[str], str]:
    """How each external recipient enters the outbox: as `outbox_state` says (queued for the relay,
    or captured), but a simulator address is always queued, since the simulator, not the relay,
    answers it (mail/simulator.py) and it must behave the same in capture mode."""
    def state(address: str) -> str:
        return outbox.QUEUED if simulator.is_simulated(address) else outbox_state
    return state


def writes(batch: list[Outgoing], found: Found, at: datetime, outbox_state: str) -> bulk.Writes:
    """Every row the batch writes, in one transaction."""
    rows = _Rows()
    for out in batch:
        new_files = rows.attach(out.sent.id, out.new_files, at)
        files = out.files + new_files
        if out.saved:
            out.sent.folder_id = found.sent_items[out.owner.id]
            if out.draft_id is not None:
                # Graph files the sent message as a new item: the draft's id stops answering. Its
                # attachment rows follow the new id (ON UPDATE CASCADE).
                rows.replaced.append((out.draft_id, out.sent))
            else:
                rows.messages.append(out.sent)
                rows.files += new_files
        if recipient_limit.exceeded(out.recipients):
            rows.messages.append(recipient_limit.report(out.sent, out.owner.mail, found.inboxes[out.owner.id],
                                                        len(out.recipients), at))
            continue  # delivered to no one
        _deliver(rows, out, files, found, at)
    return rows.writes(outbox_state, at)


def _deliver(rows: _Rows, out: Outgoing, files: list[AttachmentRow], found: Found, at: datetime) -> None:
    inboxes = []
    external = []
    nobody = []
    for address in out.recipients:
        key = (out.owner.tenant_id, address.lower())
        user = found.local.get(key)
        if user is not None:
            inboxes.append((user.user_id, user.inbox_id))
        elif key in found.not_found:
            nobody.append(address)
        else:
            external.append(address)
    for received in received_copies(out.sent, inboxes, at):
        rows.messages.append(received)
        if files:
            # Each copy gets its own attachment rows; the content is shared, not copied.
            rows.files += attachment_store.copies_for(files, received.id, [ids.new_attachment_id() for _ in files])
    if external:
        # Queued for the relay, or, with none configured, captured: kept and listed, never sent
        # (simulator addresses are queued either way: `_entry_state`).
        submission = outbox.NewSubmission(str(uuid.uuid4()), out.owner.id, out.sent.internet_message_id,
                                          _submitted(out.sent), external)
        rows.external_mail.append(submission)
        rows.external_files.append((submission.id, files))
    if nobody:
        undelivered = bounces.Undelivered(out.owner.id, out.owner.mail, out.sent.internet_message_id,
                                          _submitted(out.sent))
        report, attached = bounces.report(undelivered, dict.fromkeys(nobody, bounces.RECIPIENT_NOT_FOUND),
                                          _original_mime(undelivered.message), found.inboxes[out.owner.id], at)
        rows.messages.append(report)
        rows.files += rows.attach(report.id, attached, at)


def _original_mime(message: dict[str, Any]) -> bytes:
    """The sent message's MIME for its report, without its attachments (the report holds the
    message, not another copy of its files)."""
    try:
        return mime.render(message, in_reply_to=message.get("inReplyTo"), references=message.get("references") or ())
    except ValueError:  # a custom header or id the message could hold but no MIME can: the report still goes
        return b""
