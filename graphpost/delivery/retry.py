"""When to try an outbox entry again, Postfix-style: a first retry after `first`, each wait
twice the one before, never more than `maximum`, and no attempt once the message has been
queued longer than `lifetime` (then it bounces)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetrySchedule:
    first: timedelta = timedelta(minutes=5)        # Postfix minimal_backoff_time (300s)
    maximum: timedelta = timedelta(seconds=4000)   # Postfix maximal_backoff_time
    lifetime: timedelta = timedelta(days=5)        # Postfix maximal_queue_lifetime

    def next_attempt(self, failed_attempts: int, queued_at: datetime, now: datetime) -> datetime | None:
        """After `failed_attempts` (>= 1) failures, when to try next; None when it is too late."""
        delay = self.first
        # Doubled until the cap, never past it: 2**n of a timedelta overflows after ~40 attempts.
        for _ in range(max(failed_attempts - 1, 0)):
            if delay >= self.maximum:
                break
            delay *= 2
        when = now + min(delay, self.maximum)
        return None if when - queued_at > self.lifetime else when
