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


async def add_submission(conn: AsyncConnection, submission_id: str, user_id: str, internet_message_id: str,
                         message: dict[str, Any], recipients: list[str], state: str, now: datetime) -> None:
    await conn.execute(submissions.insert().values(
        id=submission_id, user_id=user_id, internet_message_id=internet_message_id, message=message,
        created_at=now))
    await conn.execute(outbox.insert(), [
        {"submission_id": submission_id, "recipient": address, "domain": address.rpartition("@")[2].lower(),
         "state": state, "created_at": now, "updated_at": now}
        for address in recipients])


async def entries(conn: AsyncConnection, state: str | None = None, limit: int = 1000) -> list[OutboxEntry]:
    query = (sa.select(outbox.c.id, submissions.c.internet_message_id, users.c.mail, outbox.c.recipient,
                       outbox.c.state, outbox.c.created_at)
             .join(submissions, submissions.c.id == outbox.c.submission_id)
             .join(users, users.c.id == submissions.c.user_id)
             .order_by(outbox.c.id).limit(limit))
    if state:
        query = query.where(outbox.c.state == state)
    return [OutboxEntry(*row) for row in await conn.execute(query)]
