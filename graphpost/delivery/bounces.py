"""Bounces of what the relay refused: a non-delivery report (mail/bounces.py) for a submission."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.mail import bounces
from graphpost.store.mailbox import MessageRow
from graphpost.store.outbox import SubmissionRow


async def write_bounce(conn: AsyncConnection, submission: SubmissionRow, failures: dict[str, str],
                       original: bytes | None, at: datetime) -> MessageRow:
    undelivered = bounces.Undelivered(submission.user_id, submission.sender, submission.internet_message_id,
                                      submission.message)
    return await bounces.write_bounce(conn, undelivered, failures, original, at)
