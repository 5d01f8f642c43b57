"""Whether external mail is relayed or captured: with no relay configured, what sendMail queues for
external recipients is kept in the outbox and listed (`graphpost outbox list`), never sent. The
simulator's addresses are queued either way (mail/deliveries.py): the simulator answers them."""

from __future__ import annotations

from graphpost.config import Settings
from graphpost.store import outbox


def outbox_state(settings: Settings) -> str:
    """The state in which a submission's external recipients enter the outbox."""
    return outbox.QUEUED if settings.relay_host else outbox.CAPTURED
