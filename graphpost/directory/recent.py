"""A short memory of directory lookups, so that authenticating a token does not cost a database
round trip on every request. Only found rows are kept, for a few seconds: a user or app added
a moment ago is seen at once, and one removed stops working within the time-to-live."""

from __future__ import annotations

import time
from typing import Awaitable, Callable, Generic, Hashable, TypeVar

T = TypeVar("T")

DEFAULT_TTL_SECONDS = 10.0


class RecentLookups(Generic[T]):
    def __init__(self, ttl: float = DEFAULT_TTL_SECONDS, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: dict[Hashable, tuple[float, T]] = {}

    async def get(self, key: Hashable, load: Callable[[], Awaitable[T | None]]) -> T | None:
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        value = await load()
        if value is not None:
            if len(self._entries) >= self._max:
                self._entries.clear()  # crude, and rare: a bound, not an eviction policy
            self._entries[key] = (now + self._ttl, value)
        return value
