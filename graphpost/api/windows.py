"""A count over a sliding window, kept in a fixed number of buckets: what throttling counts
(requests per 10 minutes, bytes per 5 minutes, messages per minute).

A bucketed window is exact to a tenth of its length and costs a few integers per counter, where a
log of every request's time would cost 10,000 entries per app and mailbox at Graph's limits. Pure:
the caller passes the time (a monotonic clock in seconds), so tests need no sleeps."""

from __future__ import annotations

import math
from collections import deque

BUCKETS = 10


class SlidingWindow:
    __slots__ = ("limit", "width", "buckets", "total")

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.width = window / BUCKETS
        self.buckets: deque[list[int]] = deque()  # [bucket index, amount], oldest first
        self.total = 0

    def _expire(self, now: float) -> int:
        current = int(now // self.width)
        while self.buckets and self.buckets[0][0] <= current - BUCKETS:
            self.total -= self.buckets.popleft()[1]
        return current

    def full(self, now: float) -> bool:
        """Whether the window has reached its limit (a request now would be over it)."""
        self._expire(now)
        return self.total >= self.limit

    def add(self, now: float, amount: int = 1) -> None:
        current = self._expire(now)
        if self.buckets and self.buckets[-1][0] == current:
            self.buckets[-1][1] += amount
        else:
            self.buckets.append([current, amount])
        self.total += amount

    def empty(self, now: float) -> bool:
        self._expire(now)
        return not self.buckets

    def retry_after(self, now: float) -> int:
        """Whole seconds (at least 1) until enough of the window has expired to be under its limit."""
        self._expire(now)
        remaining = self.total
        for index, amount in self.buckets:
            remaining -= amount
            if remaining < self.limit:
                return max(1, math.ceil((index + BUCKETS) * self.width - now))
        return 1
