"""Mail that arrives from outside (the inbound SMTP listener): which recipients are ours, and
delivery of a received RFC 5322 message into their Inboxes, in one transaction.

Whoever sends it is anonymous (the listener offers no AUTH): such mail may not claim to come from
one of our accepted domains, in the envelope or in its From or Sender header. Exchange refuses it
the same way when anonymous senders lack the ms-Exch-SMTP-Accept-Authoritative-Domain-Sender
right, as on an internet-facing receive connector: "550 5.7.1 Client does not have permissions to
send as this sender"."""

from __future__ import annotations

from enum import Enum

from graphpost.errors import SendAsDenied
from graphpost.mail import attachments, content, ids
from graphpost.mail.lookup import now
from graphpost.mail.messages import draft_from
from graphpost.mail.deliveries import received_copies
from graphpost.store import attachments as attachment_store
from graphpost.store import directory as directory_store
from graphpost.store import mailbox as store
from graphpost.store.database import Database


class Recipient(Enum):
    LOCAL = "local"                  # a user of a tenant here
    UNKNOWN_USER = "unknown user"    # an accepted domain, but no such user: 550 5.1.10
    FOREIGN = "foreign"              # not a domain of ours: refused, no open relay


async def classify(db: Database, address: str) -> Recipient:
    domain = address.rpartition("@")[2]
    async with db.read() as conn:
        tenant_id = await directory_store.tenant_of_domain(conn, domain)
        if tenant_id is None:
            return Recipient.FOREIGN
        found = await store.local_recipients(conn, tenant_id, [address.lower()])
    return Recipient.LOCAL if found else Recipient.UNKNOWN_USER


async def is_accepted_domain(db: Database, address: str) -> bool:
    """Whether the address is in an accepted domain of a tenant here (an anonymous sender may not
    use it)."""
    async with db.read() as conn:
        return await directory_store.tenant_of_domain(conn, address.rpartition("@")[2]) is not None


async def deliver(db: Database, raw: bytes, recipients: list[str]) -> int:
    """Put the message in each recipient's Inbox (recipients already classified LOCAL).
    Raises MimeContentInvalid for a message that cannot be read and SendAsDenied for one whose
    From or Sender is in an accepted domain. Returns the copies made."""
    received = await content.read_mime(raw)
    for author in (received.given.get("from"), received.given.get("sender")):
        if author and await is_accepted_domain(db, author["emailAddress"]["address"]):
            raise SendAsDenied()
    at = now()
    async with db.write() as conn:
        copies = []
        for address in dict.fromkeys(recipient.lower() for recipient in recipients):
            tenant_id = await directory_store.tenant_of_domain(conn, address.rpartition("@")[2])
            if tenant_id is None:
                continue
            for user in await store.local_recipients(conn, tenant_id, [address]):
                copies.append(user)
        if not copies:
            return 0
        # The prototype is the message as sent; each Inbox gets its own copy of it.
        first = await directory_store.user_by_id(conn, copies[0].user_id)
        assert first is not None  # found as a local recipient in this transaction
        prototype = draft_from(first, "", received, at)
        prototype.is_draft = False
        sender = prototype.data.get("from") or prototype.data.get("sender")
        prototype.data["sender"] = prototype.data.get("sender") or sender
        prototype.from_address = sender["emailAddress"]["address"].lower() if sender else None
        prototype.has_attachments = any(not new.is_inline for new in received.attachments)
        files = await attachments.prepare(conn, prototype.id, received.attachments, at)
        rows = received_copies(prototype, [(user.user_id, user.inbox_id) for user in copies], at)
        await store.insert_messages(conn, rows)
        for row in rows:
            await attachment_store.insert_attachments(
                conn, attachment_store.copies_for(files, row.id, [ids.new_attachment_id() for _ in files]))
    return len(rows)
