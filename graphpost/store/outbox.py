"""Submissions and the outbox of external recipients."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store import bulk, leases
from graphpost.store.database import Database
from graphpost.store.schema import outbox, submission_attachments, submissions, users

CAPTURED = "captured"    # no relay configured: kept and listed, never sent
QUEUED = "queued"        # waiting for its first attempt
DEFERRED = "deferred"    # a temporary failure; next_attempt_at says when again
DELIVERED = "delivered"  # the relay accepted it
FAILED = "failed"        # refused for good, or too old: bounced to the sender
CLAIMABLE = (QUEUED, DEFERRED)


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    internet_message_id: str
    sender: str
    recipient: str
    state: str
    created_at: datetime


@dataclass(frozen=True)
class NewSubmission:
    id: str
    user_id: str
    internet_message_id: str
    message: dict[str, Any]
    recipients: list[str]


def submission_inserts(new: list[NewSubmission], state: str | Callable[[str], str],
                       now: datetime) -> list[tuple[sa.Table, list[dict[str, Any]]]]:
    """The rows of these submissions and their outbox entries (one per recipient), by table; each
    entry in `state`, or in the state `state(recipient)` gives it."""
    state_of = state if callable(state) else (lambda _address: state)
    return [
        (submissions, [{"id": item.id, "user_id": item.user_id, "internet_message_id": item.internet_message_id,
                        "message": item.message, "created_at": now} for item in new]),
        (outbox, [{"submission_id": item.id, "recipient": address, "domain": address.rpartition("@")[2].lower(),
                   "state": state_of(address), "created_at": now, "updated_at": now}
                  for item in new for address in item.recipients])]


async def add_submissions(conn: AsyncConnection, new: list[NewSubmission], state: str, now: datetime) -> None:
    """Record submissions and one outbox entry per recipient, in two statements whatever the count."""
    if not new:
        return
    for table, rows in submission_inserts(new, state, now):
        await bulk.insert_rows(conn, table, rows)


async def entries(conn: AsyncConnection, state: str | None = None, limit: int = 1000) -> list[OutboxEntry]:
    query = (sa.select(outbox.c.id, submissions.c.internet_message_id, users.c.mail, outbox.c.recipient,
                       outbox.c.state, outbox.c.created_at)
             .join(submissions, submissions.c.id == outbox.c.submission_id)
             .join(users, users.c.id == submissions.c.user_id)
             .order_by(outbox.c.id).limit(limit))
    if state:
        query = query.where(outbox.c.state == state)
    return [OutboxEntry(*row) for row in await conn.execute(query)]


@dataclass(frozen=True)
class ClaimedEntry:
    id: int
    submission_id: str
    recipient: str
    attempts: int
    created_at: datetime


@dataclass(frozen=True)
class SubmissionRow:
    id: str
    user_id: str
    sender: str
    internet_message_id: str
    message: dict[str, Any]
    created_at: datetime


async def claim_due(conn: AsyncConnection, owner: str, now: datetime, lease_until: datetime,
                    limit: int, domain: str | None = None) -> list[ClaimedEntry]:
    """Lease to `owner` up to `limit` entries that are due and not leased by a live worker
    (store/leases.py); only those of recipients in `domain` when given."""
    due = outbox.c.state.in_(CLAIMABLE) & sa.or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now)
    if domain is not None:
        due &= outbox.c.domain == domain
    ids = await leases.claim(conn, outbox, due, owner, now, lease_until, limit)
    if not ids:
        return []
    rows = await conn.execute(sa.select(outbox.c.id, outbox.c.submission_id, outbox.c.recipient, outbox.c.attempts,
                                        outbox.c.created_at).where(outbox.c.id.in_(ids)).order_by(outbox.c.id))
    return [ClaimedEntry(*row) for row in rows]


def heartbeat(db: Database, entry_ids: list[int], owner: str,
              lease: timedelta) -> AbstractAsyncContextManager[leases.Held]:
    """Keep these entries leased to `owner` while a round relays them (store/leases.py)."""
    return leases.heartbeat(db, outbox, entry_ids, owner, lease)


async def submissions_by_id(conn: AsyncConnection, submission_ids: list[str]) -> dict[str, SubmissionRow]:
    rows = await conn.execute(
        sa.select(submissions.c.id, submissions.c.user_id, users.c.mail.label("sender"),
                  submissions.c.internet_message_id, submissions.c.message, submissions.c.created_at)
        .join(users, users.c.id == submissions.c.user_id).where(submissions.c.id.in_(submission_ids)))
    return {row.id: SubmissionRow(**row._mapping) for row in rows}


async def files_of_submissions(conn: AsyncConnection, submission_ids: list[str]) -> dict[str, list[sa.Row]]:
    found: dict[str, list[sa.Row]] = {submission_id: [] for submission_id in submission_ids}
    rows = await conn.execute(sa.select(submission_attachments)
                              .where(submission_attachments.c.submission_id.in_(submission_ids))
                              .order_by(submission_attachments.c.submission_id, submission_attachments.c.position))
    for row in rows:
        found[row.submission_id].append(row)
    return found


async def settle(conn: AsyncConnection, entry_ids: list[int], owner: str, state: str, now: datetime, *,
                 error: str | None = None, next_attempt_at: datetime | None = None,
                 attempted: bool = True) -> list[int]:
    """One state change for those of these entries still leased to `owner`: their lease ends,
    the attempt is counted. An entry another worker has claimed since is left to it (with a
    warning). Returns the entries changed."""
    values: dict[str, Any] = {"state": state, "updated_at": now, "next_attempt_at": next_attempt_at,
                              "last_error": error}
    if attempted:
        values["attempts"] = outbox.c.attempts + 1
    return await leases.release(conn, outbox, entry_ids, owner, values)


@dataclass(frozen=True)
class EntryDetail:
    id: int
    internet_message_id: str
    sender: str
    recipient: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime


async def entry(conn: AsyncConnection, entry_id: int) -> EntryDetail | None:
    row = (await conn.execute(
        sa.select(outbox.c.id, submissions.c.internet_message_id, users.c.mail.label("sender"), outbox.c.recipient,
                  outbox.c.state, outbox.c.attempts, outbox.c.next_attempt_at, outbox.c.last_error,
                  outbox.c.created_at, outbox.c.updated_at)
        .join(submissions, submissions.c.id == outbox.c.submission_id)
        .join(users, users.c.id == submissions.c.user_id).where(outbox.c.id == entry_id))).first()
    return EntryDetail(**row._mapping) if row else None


async def requeue(conn: AsyncConnection, entry_ids: list[int] | None, now: datetime) -> int:
    """Deferred or failed entries (these, or all when None) become due at once."""
    where: sa.ColumnElement[bool] = outbox.c.state.in_((DEFERRED, FAILED))
    if entry_ids is not None:
        where &= outbox.c.id.in_(entry_ids)
    result = await conn.execute(outbox.update().where(where).values(
        state=QUEUED, next_attempt_at=None, lease_until=None, lease_owner=None, updated_at=now))
    return result.rowcount or 0


async def purge(conn: AsyncConnection, entry_id: int) -> bool:
    """Remove an entry; its submission goes with its last entry."""
    submission_id = (await conn.execute(sa.select(outbox.c.submission_id)
                                        .where(outbox.c.id == entry_id))).scalar_one_or_none()
    if submission_id is None:
        return False
    await conn.execute(outbox.delete().where(outbox.c.id == entry_id))
    left = (await conn.execute(sa.select(sa.func.count()).select_from(outbox)
                               .where(outbox.c.submission_id == submission_id))).scalar_one()
    if not left:
        await conn.execute(submissions.delete().where(submissions.c.id == submission_id))
    return True
