"""Folder and message rows of the mailboxes."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.odata.query import CollectionQuery, Keyset
from graphpost.store import bulk, folder_queries, queries
from graphpost.store.schema import folders, messages, users


@dataclass(frozen=True)
class FolderRow:
    id: str
    user_id: str
    parent_id: str
    well_known: str | None
    display_name: str
    is_hidden: bool
    child_count: int = 0
    total_count: int = 0
    unread_count: int = 0


@dataclass
class MessageRow:
    id: str
    user_id: str
    folder_id: str
    change_key: str
    created_at: datetime
    modified_at: datetime
    received_at: datetime
    sent_at: datetime | None
    subject: str
    is_read: bool
    is_draft: bool
    importance: str
    has_attachments: bool
    internet_message_id: str
    conversation_id: str
    from_address: str | None
    data: dict[str, Any] = field(default_factory=dict)
    immutable_id: str = ""

    def values(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class LocalRecipient:
    user_id: str
    address_key: str
    inbox_id: str


# A row of `select(messages, ...)` starts with the table's columns, in the order of MessageRow's
# fields, so they are passed by position: naming each one cost more than the rest of reading a
# page of messages. Columns a query adds after them (the keys of a page) are left out.
if [column.name for column in messages.columns] != [field.name for field in fields(MessageRow)]:
    raise RuntimeError("MessageRow's fields must be the messages table's columns, in the same order")
_MESSAGE_WIDTH = len(messages.columns)


def _message(row: sa.Row) -> MessageRow:
    return MessageRow(*row[:_MESSAGE_WIDTH])


async def insert_folders(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    await conn.execute(folders.insert(), rows)


def _folder(row: sa.Row) -> FolderRow:
    return FolderRow(row.id, row.user_id, row.parent_id, row.well_known, row.display_name, row.is_hidden,
                     row.child_count, row.total_count, row.unread_count)


async def folder(conn: AsyncConnection, user_id: str, *, folder_id: str | None = None,
                 well_known: str | None = None, counted: bool = True) -> FolderRow | None:
    """One folder; `counted=False` leaves its counts at 0 and spares counting its messages."""
    where = folders.c.user_id == user_id
    where &= folders.c.well_known == well_known if well_known else folders.c.id == folder_id
    if not counted:
        row = (await conn.execute(sa.select(folders).where(where))).first()
        return FolderRow(row.id, row.user_id, row.parent_id, row.well_known, row.display_name,
                         row.is_hidden) if row else None
    row = (await conn.execute(folder_queries.counted_folders(where))).first()
    return _folder(row) if row else None


@dataclass(frozen=True)
class FolderPage:
    rows: list[FolderRow]
    more: bool                   # another page follows
    count: int | None            # every matching folder, when the query asked for it


async def child_folders(conn: AsyncConnection, user_id: str, parent_id: str, *, include_hidden: bool,
                        query: CollectionQuery) -> FolderPage:
    """One page of a folder's children that a query selects (store/folder_queries.py). Hidden
    children are only there with `include_hidden`; the query's $filter applies within them."""
    scope = (folders.c.user_id == user_id) & (folders.c.parent_id == parent_id)
    if not include_hidden:
        scope &= folders.c.is_hidden.is_(False)
    page = await folder_queries.page(conn, scope, query)
    return FolderPage([_folder(row) for row in page.rows], page.more, page.count)


async def lock_hierarchy(conn: AsyncConnection, user_id: str) -> None:
    """Serialise changes to this mailbox's folder tree (PostgreSQL: a lock on its msgfolderroot row;
    SQLite already has one writer at a time). Name uniqueness among siblings and the absence of
    cycles are checked by reading the tree, so two writers must not both read, then both write.
    FOR NO KEY UPDATE does not block the key-share locks that inserting messages takes."""
    query = (sa.select(folders.c.id).where(folders.c.user_id == user_id, folders.c.well_known == "msgfolderroot")
             .with_for_update(key_share=True))
    await conn.execute(query)


async def child_names(conn: AsyncConnection, user_id: str, parent_id: str) -> dict[str, str]:
    """The display names of a folder's children (hidden ones too), by folder id. Compared in
    Python: SQLite's lower() folds ASCII only, and Graph's name check is case-insensitive."""
    query = sa.select(folders.c.id, folders.c.display_name).where(folders.c.user_id == user_id,
                                                                  folders.c.parent_id == parent_id)
    return {row.id: row.display_name for row in await conn.execute(query)}


# Walks of the tree stop this deep: moves never make a cycle, but a damaged tree must not loop forever.
_MAX_DEPTH = 1000


async def ancestor_ids(conn: AsyncConnection, user_id: str, folder_id: str) -> list[str]:
    """The folders above this one, nearest first (the mailbox root, which has no row, excluded)."""
    up = (sa.select(folders.c.id, folders.c.parent_id, sa.literal(0, sa.Integer).label("depth"))
          .where(folders.c.user_id == user_id, folders.c.id == folder_id).cte("up", recursive=True))
    parent = folders.alias("parent")
    up = up.union_all(sa.select(parent.c.id, parent.c.parent_id, (up.c.depth + 1).label("depth"))
                      .where(parent.c.id == up.c.parent_id, parent.c.user_id == user_id, up.c.depth < _MAX_DEPTH))
    rows = await conn.execute(sa.select(up.c.id).where(up.c.depth > 0).order_by(up.c.depth))
    return [row.id for row in rows]


async def subtree(conn: AsyncConnection, user_id: str, folder_id: str) -> list[FolderRow]:
    """This folder and every folder below it, each after its parent (counts left at 0)."""
    columns = [folders.c.id, folders.c.user_id, folders.c.parent_id, folders.c.well_known,
               folders.c.display_name, folders.c.is_hidden]
    down = (sa.select(*columns, sa.literal(0, sa.Integer).label("depth"))
            .where(folders.c.user_id == user_id, folders.c.id == folder_id).cte("down", recursive=True))
    child = folders.alias("child")
    down = down.union_all(sa.select(*(child.c[column.name] for column in columns), (down.c.depth + 1).label("depth"))
                          .where(child.c.parent_id == down.c.id, child.c.user_id == user_id,
                                 down.c.depth < _MAX_DEPTH))
    rows = await conn.execute(sa.select(down).order_by(down.c.depth, down.c.id))
    return [FolderRow(row.id, row.user_id, row.parent_id, row.well_known, row.display_name, row.is_hidden)
            for row in rows]


async def messages_in(conn: AsyncConnection, folder_ids: list[str]) -> list[MessageRow]:
    query = sa.select(messages).where(messages.c.folder_id.in_(folder_ids)).order_by(messages.c.id)
    return [_message(row) for row in await conn.execute(query)]


async def rename_folder(conn: AsyncConnection, folder_id: str, display_name: str) -> None:
    await conn.execute(folders.update().where(folders.c.id == folder_id).values(display_name=display_name))


async def move_folder(conn: AsyncConnection, folder_id: str, parent_id: str, display_name: str) -> None:
    await conn.execute(folders.update().where(folders.c.id == folder_id)
                       .values(parent_id=parent_id, display_name=display_name))


async def message_ids_in(conn: AsyncConnection, folder_ids: list[str]) -> list[str]:
    query = sa.select(messages.c.id).where(messages.c.folder_id.in_(folder_ids)).order_by(messages.c.id)
    return [row.id for row in await conn.execute(query)]


async def soft_delete_messages(conn: AsyncConnection, renames: list[tuple[str, str, str]], deletions_id: str,
                               at: datetime) -> None:
    """Move messages into Recoverable Items under new ids, as DELETE of each one would:
    `renames` holds (old id, new id, new change key). Attachments follow their message's id."""
    if not renames:
        return
    query = (messages.update().where(messages.c.id == sa.bindparam("old_id"))
             .values(id=sa.bindparam("new_id"), change_key=sa.bindparam("new_key"), folder_id=deletions_id,
                     modified_at=at))
    await conn.execute(query, [{"old_id": old, "new_id": new, "new_key": key} for old, new, key in renames])


async def delete_folders(conn: AsyncConnection, folder_ids: list[str]) -> None:
    await conn.execute(folders.delete().where(folders.c.id.in_(folder_ids)))


def well_known_folder_id(user_id: str | sa.BindParameter[Any], name: str) -> sa.ScalarSelect[Any]:
    """The id of a well-known folder, as a subquery: no round trip to learn it."""
    return (sa.select(folders.c.id)
            .where(folders.c.user_id == user_id, folders.c.well_known == name).scalar_subquery())


async def folder_id_of(conn: AsyncConnection, user_id: str, name: str) -> str:
    return (await conn.execute(sa.select(well_known_folder_id(user_id, name)))).scalar_one()


async def well_known_folder_ids(conn: AsyncConnection, user_ids: Iterable[str], name: str) -> dict[str, str]:
    """One well-known folder of each of these mailboxes, by user id, in one query."""
    query = sa.select(folders.c.user_id, folders.c.id).where(folders.c.user_id.in_(set(user_ids)),
                                                             folders.c.well_known == name)
    return {row.user_id: row.id for row in await conn.execute(query)}


def message_inserts(rows: Iterable[MessageRow]) -> tuple[sa.Table, list[dict[str, Any]]]:
    """The rows of these messages, for store/bulk.py."""
    return messages, [row.__dict__ for row in rows]


async def insert_messages(conn: AsyncConnection, rows: Iterable[MessageRow]) -> None:
    # The send path's bulk insert: see store/bulk.py.
    await bulk.insert_rows(conn, *message_inserts(rows))


async def message(conn: AsyncConnection, user_id: str, message_id: str, *,
                  for_update: bool = False, immutable: bool = False) -> MessageRow | None:
    """One message, by its id or (`immutable`) its immutable id; `for_update` locks its row
    (PostgreSQL) so that concurrent writers of the same message go one after the other and the
    later ones see what the first did. A soft-deleted message is not found by its immutable id
    (its id changed when it was deleted, so that one no longer answers either)."""
    query = _BY_ID[immutable, for_update]
    row = (await conn.execute(query, {"message_id": message_id, "user_id": user_id})).first()
    return _message(row) if row else None


def _by_id(immutable: bool, for_update: bool) -> sa.Select[Any]:
    user_id: sa.BindParameter[str] = sa.bindparam("user_id")
    if immutable:
        query = sa.select(messages).where(
            messages.c.immutable_id == sa.bindparam("message_id"), messages.c.user_id == user_id,
            messages.c.folder_id != well_known_folder_id(user_id, "recoverableitemsdeletions"))
    else:
        query = sa.select(messages).where(messages.c.id == sa.bindparam("message_id"), messages.c.user_id == user_id)
    return query.with_for_update() if for_update else query


# Every request naming a message looks it up: the four forms of the lookup are built once.
_BY_ID = {(immutable, for_update): _by_id(immutable, for_update) for immutable in (False, True)
          for for_update in (False, True)}


def message_scope(user_id: str, folder_id: str | None) -> sa.ColumnElement[bool]:
    """The messages of a mailbox (`folder_id` None) or of one of its folders."""
    if folder_id is not None:
        # The folder was found in this mailbox (mail/mailbox.find_folder), so its messages are the
        # owner's: naming the user too would let the planner pick the mailbox-wide index.
        return messages.c.folder_id == folder_id
    # /messages spans the folders a user sees, not the soft-deleted items. Written as an anti-join,
    # not `folder_id != (the deletions folder's id)`: PostgreSQL estimated that from folder_id's
    # statistics, and on a mailbox with nearly all its mail in one folder it expected no rows and
    # chose a full scan and sort (160 ms a page of 100,000 messages, bench/read.py). The anti-join
    # is estimated from the folders, and the mailbox's index is read in order.
    deletions = folders.alias("deletions")
    soft_deleted = sa.exists().where(deletions.c.id == messages.c.folder_id,
                                     deletions.c.well_known == "recoverableitemsdeletions")
    return (messages.c.user_id == user_id) & ~soft_deleted


@dataclass(frozen=True)
class MessagePage:
    rows: list[MessageRow]
    next: Keyset | None          # where the next page starts, if there is one
    count: int | None            # every matching message, when the query asked for it


async def message_page(conn: AsyncConnection, user_id: str, folder_id: str | None,
                       query: CollectionQuery) -> MessagePage:
    """One page of the messages a query selects (store/queries.py)."""
    page = await queries.page(conn, message_scope(user_id, folder_id), query)
    return MessagePage([_message(row) for row in page.rows], page.next, page.count)


# Built once: building an UPDATE of every column cost more than running it (sending a draft
# rewrites its row). The bound names differ from the columns', as SQLAlchemy requires in a SET.
_REPLACE = (messages.update().where(messages.c.id == sa.bindparam("old_id"))
            .values({column.name: sa.bindparam(f"new_{column.name}", type_=column.type)
                     for column in messages.columns}))


async def replace_message(conn: AsyncConnection, old_id: str, row: MessageRow) -> None:
    """Write `row` over the message `old_id` (which may get a new id, as after a move)."""
    await conn.execute(_REPLACE, {"old_id": old_id, **{f"new_{name}": value for name, value in row.values().items()}})


async def delete_message(conn: AsyncConnection, message_id: str) -> None:
    await conn.execute(messages.delete().where(messages.c.id == message_id))


async def local_recipients(conn: AsyncConnection, tenant_id: str, address_keys: list[str]) -> list[LocalRecipient]:
    """Users of the tenant whose address is among `address_keys` (lower case), with their Inbox."""
    if not address_keys:
        return []
    query = (sa.select(users.c.id, users.c.mail_key, folders.c.id.label("inbox_id"))
             .join(folders, (folders.c.user_id == users.c.id) & (folders.c.well_known == "inbox"))
             .where(users.c.tenant_id == tenant_id, users.c.mail_key.in_(address_keys)))
    return [LocalRecipient(row.id, row.mail_key, row.inbox_id) for row in await conn.execute(query)]


async def is_soft_deleted(conn: AsyncConnection, message_id: str) -> bool:
    """Whether the message now lies in Recoverable Items (deleted as far as the client knows)."""
    query = (sa.select(folders.c.well_known).join(messages, messages.c.folder_id == folders.c.id)
             .where(messages.c.id == message_id))
    return (await conn.execute(query)).scalar_one_or_none() in (None, "recoverableitemsdeletions")


async def touch_message(conn: AsyncConnection, message_id: str, change_key: str, at: datetime) -> None:
    await conn.execute(messages.update().where(messages.c.id == message_id)
                       .values(change_key=change_key, modified_at=at))


# -- the current state of changed items, for delta rounds (mail/delta.py) ------------------------

def messages_by_id_statement(message_ids: list[str], immutable: bool = False) -> sa.Select[Any]:
    # By the (unique) id alone: with `folder_id = …` too, SQLite reads the folder's index instead.
    key = messages.c.immutable_id if immutable else messages.c.id
    return sa.select(messages).where(key.in_(message_ids))


async def messages_by_id(conn: AsyncConnection, folder_id: str, message_ids: list[str], *,
                         immutable: bool = False) -> dict[str, MessageRow]:
    """Those of these messages that are in this folder now, by the id asked with (a row each)."""
    if not message_ids:
        return {}
    rows = [_message(row) for row in await conn.execute(messages_by_id_statement(message_ids, immutable))]
    return {row.immutable_id if immutable else row.id: row for row in rows if row.folder_id == folder_id}


def _visible_folders(user_id: str, parent_id: str | None) -> sa.ColumnElement[bool]:
    """A folder's children, or (parent_id None) every folder of the mailbox, hidden ones left out."""
    scope = (folders.c.user_id == user_id) & folders.c.is_hidden.is_(False)
    return scope & (folders.c.parent_id == parent_id) if parent_id is not None else scope


async def folders_by_id(conn: AsyncConnection, user_id: str, parent_id: str | None,
                        folder_ids: list[str]) -> dict[str, FolderRow]:
    """Those of these folders that are (still) in the scope, with their counts, by id."""
    if not folder_ids:
        return {}
    rows = await conn.execute(folder_queries.counted_folders(_visible_folders(user_id, parent_id)
                                                             & folders.c.id.in_(folder_ids)))
    return {row.id: _folder(row) for row in rows}


async def folders_after(conn: AsyncConnection, user_id: str, parent_id: str | None, after_id: str | None,
                        limit: int) -> list[FolderRow]:
    """Up to `limit` folders of the scope with an id above `after_id`, in id order: pages that a
    folder created or deleted meanwhile never shifts."""
    scope = _visible_folders(user_id, parent_id)
    if after_id is not None:
        scope &= folders.c.id > after_id
    counted = folder_queries.counted_folders(scope).subquery("folder")
    rows = await conn.execute(sa.select(counted).order_by(counted.c.id).limit(limit))
    return [_folder(row) for row in rows]
