"""What the send path looks up on every submission and that almost never changes: which
addresses are local users (with their Inbox), and each sender's Sent Items. Remembered per app,
so that a sendMail batch does not spend two queries relearning them.

Well-known folders are never deleted or re-created, so their ids are kept for good. A local
recipient is kept for a few seconds only (as token lookups are, directory/recent.py), and only
when found: a user added a moment ago is local at once."""

from __future__ import annotations

import time
from typing import Iterable

from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store import mailbox as store
from graphpost.store.mailbox import LocalRecipient

RECIPIENT_TTL_SECONDS = 10.0
_MAX_ENTRIES = 50_000


class KnownMailboxes:
    def __init__(self, ttl: float = RECIPIENT_TTL_SECONDS) -> None:
        self._ttl = ttl
        self._recipients: dict[tuple[str, str], tuple[float, LocalRecipient]] = {}
        self._sent_items: dict[str, str] = {}

    def remembered_recipients(self, tenant_id: str,
                              address_keys: Iterable[str]) -> tuple[dict[str, LocalRecipient], list[str]]:
        """The users of the tenant among these lower-cased addresses that are remembered, by
        address, and the addresses that are not (external ones never are)."""
        now = time.monotonic()
        found: dict[str, LocalRecipient] = {}
        unknown = []
        for key in address_keys:
            entry = self._recipients.get((tenant_id, key))
            if entry is not None and entry[0] > now:
                found[key] = entry[1]
            else:
                unknown.append(key)
        return found, unknown

    async def local_recipients(self, conn: AsyncConnection, tenant_id: str,
                               address_keys: Iterable[str]) -> dict[str, LocalRecipient]:
        """The users of the tenant among these lower-cased addresses, by address."""
        found, unknown = self.remembered_recipients(tenant_id, address_keys)
        if unknown:
            now = time.monotonic()
            if len(self._recipients) >= _MAX_ENTRIES:
                self._recipients.clear()  # a bound, not an eviction policy
            for user in await store.local_recipients(conn, tenant_id, sorted(unknown)):
                found[user.address_key] = user
                self._recipients[(tenant_id, user.address_key)] = (now + self._ttl, user)
        return found

    def forget(self) -> None:
        """Drop everything remembered: a write failed, maybe on a folder that is gone with its user
        (graphpost user remove, from another process), and any entry may be such a one."""
        self._recipients.clear()
        self._sent_items.clear()

    def remembered_sent_items(self, user_ids: Iterable[str]) -> dict[str, str] | None:
        """The Sent Items folder id of each of these users, if all are remembered."""
        try:
            return {user_id: self._sent_items[user_id] for user_id in user_ids}
        except KeyError:
            return None

    async def sent_items(self, conn: AsyncConnection, user_ids: Iterable[str]) -> dict[str, str]:
        """The Sent Items folder id of each of these users."""
        wanted = set(user_ids)
        missing = wanted - self._sent_items.keys()
        if missing:
            if len(self._sent_items) >= _MAX_ENTRIES:
                self._sent_items.clear()
            self._sent_items.update(await store.well_known_folder_ids(conn, missing, "sentitems"))
        return {user_id: self._sent_items[user_id] for user_id in wanted if user_id in self._sent_items}
