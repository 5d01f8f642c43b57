"""A CollectionQuery (odata/query.py) over mail folders, run in the database: the folders of a
scope (one folder's children) with their item counts, its conditions as a WHERE clause
(store/queries.py where_clause), its sort keys as ORDER BY, and offset pages ($skip), as Graph
pages folders. The counts are computed, never stored, so `$filter=totalItemCount gt 0` sees the
state of this very moment; nothing is filtered in Python."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.odata import query as q
from graphpost.store.message_columns import Column, Style, sort_expression
from graphpost.store.queries import where_clause
from graphpost.store.schema import folders, messages


def counted_folders(scope: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The folders of `scope`, each with child_count, total_count and unread_count."""
    child = folders.alias("child")
    # The owner is named too, so that the count reads the (user_id, parent_id) index.
    child_count = (sa.select(sa.func.count()).select_from(child)
                   .where(child.c.user_id == folders.c.user_id, child.c.parent_id == folders.c.id)
                   .scalar_subquery())
    total = (sa.select(sa.func.count()).select_from(messages)
             .where(messages.c.folder_id == folders.c.id).scalar_subquery())
    unread = (sa.select(sa.func.count()).select_from(messages)
              .where(messages.c.folder_id == folders.c.id, messages.c.is_read.is_(False)).scalar_subquery())
    return sa.select(folders, child_count.label("child_count"), total.label("total_count"),
                     unread.label("unread_count")).where(scope)


def folder_columns(counted: sa.Subquery) -> dict[str, Column]:
    """Every mailFolder property (odata/entities.py MAIL_FOLDER) over the rows of `counted`."""
    return {
        "id": Column(counted.c.id, Style.EXACT),
        # Exchange compares folder names without regard to case, as it does subjects.
        "displayName": Column(counted.c.display_name, Style.TEXT),
        "parentFolderId": Column(counted.c.parent_id, Style.EXACT),
        "isHidden": Column(counted.c.is_hidden, Style.PLAIN),
        "childFolderCount": Column(counted.c.child_count, Style.PLAIN),
        "totalItemCount": Column(counted.c.total_count, Style.PLAIN),
        "unreadItemCount": Column(counted.c.unread_count, Style.PLAIN),
    }


def _matching(scope: sa.ColumnElement[bool], query: q.CollectionQuery,
              dialect: str) -> tuple[sa.Subquery, dict[str, Column], list[sa.ColumnElement[bool]]]:
    """The scope's folders as a derived table, their columns, and what $filter asks of them. The
    counts are worked out once per folder there, so the filter, the order and the answer all read
    the same values."""
    counted = counted_folders(scope).subquery("folder")
    columns = folder_columns(counted)
    where = [where_clause(query.filter, columns, dialect)] if query.filter is not None else []
    return counted, columns, where


def _order(counted: sa.Subquery, columns: dict[str, Column], query: q.CollectionQuery,
           dialect: str) -> list[sa.ColumnElement[Any]]:
    keys = [(sort_expression(columns[sort.path], dialect), sort.descending) for sort in query.orderby]
    # The id breaks ties, so that $skip pages of folders with one name never overlap.
    keys.append((counted.c.id, keys[-1][1] if keys else False))
    return [expression.desc() if descending else expression.asc() for expression, descending in keys]


def page_statement(scope: sa.ColumnElement[bool], query: q.CollectionQuery, dialect: str) -> sa.Select[Any]:
    """The SELECT of one page, and one row more to tell whether another page follows."""
    counted, columns, where = _matching(scope, query, dialect)
    statement = (sa.select(counted).where(*where).order_by(*_order(counted, columns, query, dialect))
                 .limit(query.fetch))
    return statement.offset(query.skip) if query.skip else statement


def count_statement(scope: sa.ColumnElement[bool], query: q.CollectionQuery, dialect: str) -> sa.Select[Any]:
    counted, _, where = _matching(scope, query, dialect)
    return sa.select(sa.func.count()).select_from(counted).where(*where)


@dataclass(frozen=True)
class Page:
    rows: list[sa.Row[Any]]
    more: bool                       # another page follows
    count: int | None                # every matching folder, when $count asked for it


async def page(conn: AsyncConnection, scope: sa.ColumnElement[bool], query: q.CollectionQuery) -> Page:
    dialect = conn.dialect.name
    count = (await conn.execute(count_statement(scope, query, dialect))).scalar_one() if query.count else None
    if query.page_size == 0:
        return Page([], False, count)
    rows = list(await conn.execute(page_statement(scope, query, dialect)))
    return Page(rows[:query.page_size], len(rows) > query.page_size, count)
