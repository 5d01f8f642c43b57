"""Delta rounds over a folder's messages and over the folder tree (Graph's message: delta and
mailFolder: delta), read from the change log (store/changes.py).

A round's first page starts from a `DeltaState` with no `since` (a full read: the collection's
items, paged by a keyset) or with the `since` of the previous round's end (only what changed since:
each changed item once, in its current state, or as removed). Its first page fixes `until`, where
the round will end; every later page of the round carries it on. The edge turns states into
opaque tokens (api/delta_tokens.py); nothing about a round is kept here between requests.

An item created and deleted (or moved out) between two rounds is answered as removed: Graph's
clients ignore the removal of an id they never saw, and leaving it out would be wrong whenever
the client did see it (a first round reads the collection as it is, past its watermark).
An item changed several times is answered once, as it is now."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Awaitable, Callable, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.errors import SyncStateNotFound
from graphpost.mail import mapping
from graphpost.mail.mailbox import find_folder
from graphpost.mail.types import Folder, Message
from graphpost.odata.query import CollectionQuery, Compare, Keyset, Property, SortKey
from graphpost.odata.types import DATETIME
from graphpost.store import changes as log
from graphpost.store import mailbox as store
from graphpost.store.changes import Watermark  # re-exported: what a token carries
from graphpost.store.database import Database

# The order Graph guarantees when asked ($orderby=receivedDateTime desc), used always: the
# message list's index then gives a first round's pages in order (store/queries.py).
NEWEST_RECEIVED = (SortKey("receivedDateTime", DATETIME, descending=True),)
# Changed items are looked up this many at a time, past those a page leaves out (changeType, $filter).
_LOOKUP_BATCH = 200

T = TypeVar("T")
# The current rows of changed items, by the ids asked for; those no longer in the collection left out.
Lookup = Callable[[list[str]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class DeltaState:
    """Where a round stands: what a $skiptoken or $deltatoken says."""
    user_id: str
    collection: str                  # messages:{folder id}, folders:* (the tree) or folders:{parent id}
    since: Watermark | None          # the previous round's end; None: this round reads everything
    until: Watermark | None          # where this round ends, once its first page was read
    after: tuple[Any, ...] | None    # the last item served: a keyset (full read) or (last seq,)
    started: float                   # when the round began (unix time): tokens expire with the log

    def finished(self) -> DeltaState:
        """The state a $deltatoken carries: the next round starts where this one ends."""
        return DeltaState(self.user_id, self.collection, self.until, None, None, time.time())


@dataclass(frozen=True)
class DeltaOptions:
    page_size: int
    change_types: frozenset[str] | None = None                 # changeType; None: all of them
    received: tuple[str, datetime] | None = None               # $filter=receivedDateTime ge|gt {value}
    immutable_ids: bool = False


@dataclass(frozen=True)
class Removed:
    id: str


@dataclass(frozen=True)
class DeltaPage(Generic[T]):
    items: list[T | Removed]
    state: DeltaState
    more: bool                       # True: state is the next page's ($skiptoken); False: the round's end


def check_state(state: DeltaState, user_id: str, collection: str, retention_seconds: float) -> None:
    """A token for another collection, or older than the change log keeps, names no sync state
    graphpost still has: Graph's 410, so that the client starts a full round again."""
    if state.user_id != user_id or state.collection != collection:
        raise SyncStateNotFound()
    if state.started < time.time() - retention_seconds:
        raise SyncStateNotFound()


def _received_condition(options: DeltaOptions) -> Compare | None:
    if options.received is None:
        return None
    operator, value = options.received
    return Compare(operator, Property("receivedDateTime", DATETIME), value)


def _received_matches(options: DeltaOptions, received_at: datetime) -> bool:
    if options.received is None:
        return True
    operator, value = options.received
    return received_at >= value if operator == "ge" else received_at > value


@dataclass(frozen=True)
class _Candidate:
    item_id: str
    last_seq: int
    created: bool                    # it entered the collection in this window


def _collapsed(changes: list[log.Change], after_seq: int, immutable: bool) -> list[_Candidate]:
    """Each changed item once, by its last change, in the order of those; only those past
    `after_seq`. Items are told apart by the ids the client sees: immutable ones follow a message
    across its moves (out of the folder and back in is one item)."""
    last: dict[str, int] = {}
    created: set[str] = set()
    for change in changes:
        key = change.immutable_id if immutable and change.immutable_id else change.item_id
        last[key] = change.seq
        if change.change_type == "created":
            created.add(key)
    ordered = sorted(last.items(), key=lambda item: item[1])
    return [_Candidate(item_id, seq, item_id in created) for item_id, seq in ordered if seq > after_seq]


async def _start(conn: AsyncConnection, state: DeltaState) -> DeltaState:
    return state if state.until is not None else replace(state, until=await log.watermark(conn))


def _change_type(candidate: _Candidate, present: bool) -> str:
    return "deleted" if not present else "created" if candidate.created else "updated"


async def _changed_page(conn: AsyncConnection, state: DeltaState, options: DeltaOptions, kind: str,
                        folder_id: str | None, lookup: Lookup) -> tuple[list[Any], DeltaState, bool]:
    """A page of the items changed since `state.since`: `lookup(ids)` gives the current ones."""
    assert state.since is not None and state.until is not None
    changes = await log.changes_since(conn, state.user_id, kind, folder_id, state.since, state.until.seq)
    after_seq = state.after[0] if state.after else 0
    candidates = _collapsed(changes, after_seq, options.immutable_ids)
    items: list[Any] = []
    position = after_seq
    index = 0
    while index < len(candidates) and len(items) < options.page_size:
        batch = candidates[index:index + _LOOKUP_BATCH]
        current = await lookup([candidate.item_id for candidate in batch])
        for candidate in batch:
            if len(items) == options.page_size:
                break
            index += 1
            position = candidate.last_seq
            found = current.get(candidate.item_id)
            if options.change_types is not None and \
                    _change_type(candidate, found is not None) not in options.change_types:
                continue
            if found is None:
                items.append(Removed(candidate.item_id))
            elif kind == log.FOLDER or _received_matches(options, found.received_at):
                items.append(found)
    more = index < len(candidates)
    return items, replace(state, after=(position,)), more


async def message_round(db: Database, user_id: str, folder_ref: str, state: DeltaState | None,
                        options: DeltaOptions, retention_seconds: float) -> DeltaPage[Message]:
    """A page of `…/mailFolders/{ref}/messages/delta`: with no state, the first of a first round."""
    async with db.read() as conn:
        folder = await find_folder(conn, user_id, folder_ref, counted=False)
        collection = f"messages:{folder.id}"
        if state is None:
            state = DeltaState(user_id, collection, None, None, None, time.time())
        check_state(state, user_id, collection, retention_seconds)
        state = await _start(conn, state)
        if state.since is None:
            query = CollectionQuery(filter=_received_condition(options), orderby=NEWEST_RECEIVED,
                                    top=options.page_size, after=Keyset(state.after) if state.after else None,
                                    immutable_ids=options.immutable_ids)
            page = await store.message_page(conn, user_id, folder.id, query)
            rows: list[Any] = page.rows
            more = page.next is not None
            state = replace(state, after=page.next.values if page.next else None)
        else:
            rows, state, more = await _changed_page(
                conn, state, options, log.MESSAGE, folder.id,
                lambda ids: store.messages_by_id(conn, folder.id, ids, immutable=options.immutable_ids))
    items = [item if isinstance(item, Removed) else mapping.message(item) for item in rows]
    return DeltaPage(items, state if more else state.finished(), more)


async def folder_round(db: Database, user_id: str, parent_ref: str | None, state: DeltaState | None,
                       options: DeltaOptions, retention_seconds: float) -> DeltaPage[Folder]:
    """A page of `…/mailFolders/delta` (parent_ref None: every folder of the mailbox) or of
    `…/mailFolders/{ref}/childFolders/delta`."""
    async with db.read() as conn:
        parent_id = (await find_folder(conn, user_id, parent_ref, counted=False)).id if parent_ref else None
        collection = f"folders:{parent_id or '*'}"
        if state is None:
            state = DeltaState(user_id, collection, None, None, None, time.time())
        check_state(state, user_id, collection, retention_seconds)
        state = await _start(conn, state)
        if state.since is None:
            after = state.after[0] if state.after else None
            rows: list[Any] = await store.folders_after(conn, user_id, parent_id, after, options.page_size + 1)
            more = len(rows) > options.page_size
            rows = rows[:options.page_size]
            state = replace(state, after=(rows[-1].id,) if rows else state.after)
        else:
            rows, state, more = await _changed_page(
                conn, state, options, log.FOLDER, parent_id,
                lambda ids: store.folders_by_id(conn, user_id, parent_id, ids))
    items = [item if isinstance(item, Removed) else mapping.folder(item) for item in rows]
    return DeltaPage(items, state if more else state.finished(), more)
