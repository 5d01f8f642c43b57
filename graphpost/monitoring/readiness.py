"""Whether this process can serve: its database answers, and its schema is the one this graphpost's
migrations end at (`serve` migrates at start; a node started from older code, or a database
migrated by newer code, is not ready).

One small read, bounded by a timeout, so that a load balancer's probe of a node whose database is
gone answers "not ready" in time instead of waiting for the driver's own timeouts."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from graphpost.store import migrate
from graphpost.store.database import Database

log = logging.getLogger(__name__)
CHECK_TIMEOUT = 3.0


@dataclass(frozen=True)
class Readiness:
    ready: bool
    database: str   # "ok", or why not
    schema: str     # the stored revision, or why unknown
    expected: str   # the migrations' head


async def check(db: Database, timeout: float = CHECK_TIMEOUT) -> Readiness:
    # Read from the migrations' files once (then cached), off the loop.
    expected = await asyncio.to_thread(migrate.head_revision) or ""
    try:
        stored = await asyncio.wait_for(migrate.stored_revision(db), timeout)
    except asyncio.TimeoutError:
        return Readiness(False, f"no answer within {timeout:g}s", "unknown", expected)
    except Exception as exc:  # any driver's error: the probe reports it, it never fails itself
        log.warning("readiness: the database cannot be read: %s", exc)
        return Readiness(False, f"unreachable or unusable: {type(exc).__name__}", "unknown", expected)
    return Readiness(stored == expected, "ok", stored or "none", expected)
