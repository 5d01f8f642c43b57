"""Submissions and the outbox of external recipients."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store.schema import outbox, submissions, users

CAPTURED = "captured"


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


async def add_submissions(conn: AsyncConnection, new: list[NewSubmission], state: str, now: datetime) -> None:
    """Record submissions and one outbox entry per recipient, in two statements whatever the count."""
    if not new:
        return
    await conn.execute(submissions.insert(), [
        {"id": item.id, "user_id": item.user_id, "internet_message_id": item.internet_message_id,
         "message": item.message, "created_at": now} for item in new])
    await conn.execute(outbox.insert(), [
        {"submission_id": item.id, "recipient": address, "domain": address.rpartition("@")[2].lower(),
         "state": state, "created_at": now, "updated_at": now}
        for item in new for address in item.recipients])


async def entries(conn: AsyncConnection, state: str | None = None, limit: int = 1000) -> list[OutboxEntry]:
    query = (sa.select(outbox.c.id, submissions.c.internet_message_id, users.c.mail, outbox.c.recipient,
                       outbox.c.state, outbox.c.created_at)
             .join(submissions, submissions.c.id == outbox.c.submission_id)
             .join(users, users.c.id == submissions.c.user_id)
             .order_by(outbox.c.id).limit(limit))
    if state:
        query = query.where(outbox.c.state == state)
    return [OutboxEntry(*row) for row in await conn.execute(query)]
