"""A CollectionQuery (odata/query.py) over messages, run in the database: its conditions as a
WHERE clause, its sort keys as ORDER BY, and keyset paging: a page starts after the sort key values
(and id) of the last row of the one before, so mail arriving or leaving between two pages neither
repeats nor skips the rows that were already there. Nothing is filtered in Python.

The conditions become SQL over any entity's columns (`where_clause`): folders use it too
(store/folder_queries.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from operator import eq, ge, gt, le, lt
from typing import Any, Mapping

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.errors import InvalidUrlQuery
from graphpost.odata import query as q
from graphpost.store import json_sql
from graphpost.store.message_columns import Column, Style, binary_order, message_columns, sort_expression
from graphpost.store.message_search import search_condition
from graphpost.store.schema import messages


def _like_pattern(value: str, function: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%" if function == "contains" else f"{escaped}%"


_OPERATORS = {"eq": eq, "gt": gt, "ge": ge, "lt": lt, "le": le}


def _compare(expression: sa.ColumnElement[Any], name: str, value: Any) -> sa.ColumnElement[bool]:
    result: sa.ColumnElement[bool] = _OPERATORS[name](expression, value)
    return result


class _Conditions:
    """Conditions over `columns` (property path → Column); `data` is the JSON column a lambda
    (`categories/any(…)`) looks into, for entities that have collections."""

    def __init__(self, columns: Mapping[str, Column], dialect: str, data: sa.ColumnElement[Any] | None) -> None:
        self.dialect = dialect
        self.columns = columns
        self.data = data

    def column(self, operand: q.Property | q.Element, element: sa.ColumnElement[Any] | None) -> Column:
        if isinstance(operand, q.Element):
            assert element is not None
            return Column(element, Style.TEXT)
        return self.columns[operand.path]

    def where(self, condition: q.Condition, element: sa.ColumnElement[Any] | None = None) -> sa.ColumnElement[bool]:
        if isinstance(condition, q.AllOf):
            return sa.and_(*(self.where(part, element) for part in condition.conditions))
        if isinstance(condition, q.AnyOf):
            return sa.or_(*(self.where(part, element) for part in condition.conditions))
        if isinstance(condition, q.Negation):
            return sa.not_(self.where(condition.condition, element))
        if isinstance(condition, q.AnyElement):
            inner = condition.condition
            predicate = None if inner is None else (lambda at: self.where(inner, at(())))
            assert self.data is not None  # the binder allows any() only over a collection the entity has
            return json_sql.any_element(self.data, condition.collection.path, self.dialect, predicate)
        if isinstance(condition, q.Function):
            return self.function(self.column(condition.operand, element), condition.name, condition.value)
        return self.comparison(self.column(condition.operand, element), condition.operator, condition.value)

    def comparison(self, column: Column, operator: str, value: Any) -> sa.ColumnElement[bool]:
        expression = column.expression
        if value is None:
            return expression.is_(None) if operator == "eq" else expression.is_not(None)
        if column.style in (Style.TEXT, Style.ENUM):
            # Exchange compares strings without regard to case; so does lower() on both sides.
            expression, value = sa.func.lower(expression), sa.func.lower(sa.literal(value, sa.String))
        elif column.style == Style.LOWERED:
            value = sa.func.lower(sa.literal(value, sa.String))
        elif column.style == Style.FLAG:
            value = "true" if value else "false"
        if operator == "ne":
            return expression.is_distinct_from(value) if column.nullable else expression != value
        if operator not in ("eq", "ne") and column.style in (Style.TEXT, Style.EXACT, Style.LOWERED):
            expression = binary_order(expression, self.dialect)
        return self.guarded(column, _compare(expression, operator, value))

    def function(self, column: Column, name: str, value: str) -> sa.ColumnElement[bool]:
        pattern: sa.ColumnElement[str] = sa.literal(_like_pattern(value, name), sa.String)
        expression = column.expression
        if column.style != Style.EXACT:
            expression, pattern = sa.func.lower(expression), sa.func.lower(pattern)
        return self.guarded(column, expression.like(pattern, escape="\\"))

    @staticmethod
    def guarded(column: Column, condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        # A NULL property makes the comparison false, not NULL: `not (…)` then holds, as OData says.
        return sa.and_(column.expression.is_not(None), condition) if column.nullable else condition


def where_clause(condition: q.Condition, columns: Mapping[str, Column], dialect: str,
                 data: sa.ColumnElement[Any] | None = None) -> sa.ColumnElement[bool]:
    """A bound `$filter` as SQL over `columns`, which must hold every path the entity lets
    `$filter` name (odata/entities.py)."""
    return _Conditions(columns, dialect, data).where(condition)


def filter_condition(condition: q.Condition, dialect: str, immutable_ids: bool = False) -> sa.ColumnElement[bool]:
    return where_clause(condition, message_columns(dialect, immutable_ids), dialect, messages.c.data)


@dataclass(frozen=True)
class _Key:
    expression: sa.ColumnElement[Any]
    descending: bool
    kind: type                       # what its values are in Python: datetime, bool, int or str


def _kind(column: Column) -> type:
    if column.style == Style.ENUM:
        return int
    if column.style == Style.PLAIN:
        return bool if isinstance(column.expression.type, sa.Boolean) else datetime
    return str


def _keys(query: q.CollectionQuery, dialect: str) -> list[_Key]:
    columns = message_columns(dialect, query.immutable_ids)
    keys = []
    for sort in query.orderby:
        column = columns[sort.path]
        keys.append(_Key(sort_expression(column, dialect), sort.descending, _kind(column)))
    # The id breaks ties, in the direction of the last key, so that one index scan serves both.
    keys.append(_Key(messages.c.id, keys[-1].descending if keys else True, str))
    return keys


def _decoded(keys: list[_Key], values: tuple[Any, ...]) -> list[Any]:
    """The keyset of a $skiptoken, checked against this query's keys (a token made for another
    $orderby is refused, never half-applied)."""
    if len(values) != len(keys):
        raise InvalidUrlQuery("The $skiptoken value is not valid for this query.")
    decoded = []
    for key, value in zip(keys, values):
        if key.kind is datetime and isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                raise InvalidUrlQuery("The $skiptoken value is not valid for this query.") from None
            if value.tzinfo is None:
                raise InvalidUrlQuery("The $skiptoken value is not valid for this query.")
        elif key.kind is int and isinstance(value, bool) or not isinstance(value, key.kind):
            raise InvalidUrlQuery("The $skiptoken value is not valid for this query.")
        decoded.append(value)
    return decoded


def _after(keys: list[_Key], values: list[Any]) -> sa.ColumnElement[bool]:
    """Rows strictly after `values` in the order of `keys`. Keys all in one direction make one
    row-value comparison, which both databases turn into the bound of an index scan; mixed
    directions are spelled out, with a bound on the first key alone for the index."""
    # Values bound with their key's type: booleans compare with > only as bound parameters.
    bound = [sa.literal(value, key.expression.type) for key, value in zip(keys, values)]
    if len({key.descending for key in keys}) == 1:
        row = sa.tuple_(*(key.expression for key in keys))
        return row < sa.tuple_(*bound) if keys[0].descending else row > sa.tuple_(*bound)
    alternatives = []
    for index, key in enumerate(keys):
        equal = [earlier.expression == value for earlier, value in zip(keys[:index], bound)]
        beyond = key.expression < bound[index] if key.descending else key.expression > bound[index]
        alternatives.append(sa.and_(*equal, beyond))
    first = keys[0]
    lead = first.expression <= bound[0] if first.descending else first.expression >= bound[0]
    return sa.and_(lead, sa.or_(*alternatives))


def _encoded(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def matching(scope: sa.ColumnElement[bool], query: q.CollectionQuery, dialect: str) -> sa.ColumnElement[bool]:
    """The rows of `scope` (a mailbox or a folder) that the query's $filter or $search selects."""
    where = scope
    if query.filter is not None:
        where = sa.and_(where, filter_condition(query.filter, dialect, query.immutable_ids))
    if query.search is not None:
        where = sa.and_(where, search_condition(query.search, dialect))
    return where


def page_statement(scope: sa.ColumnElement[bool], query: q.CollectionQuery, dialect: str) -> sa.Select[Any]:
    """The SELECT of one page: the rows, then one labelled column per sort key (k0, k1, …)."""
    keys = _keys(query, dialect)
    where = matching(scope, query, dialect)
    if query.after is not None:
        where = sa.and_(where, _after(keys, _decoded(keys, query.after.values)))
    statement = (sa.select(messages, *(key.expression.label(f"k{index}") for index, key in enumerate(keys)))
                 .where(where)
                 .order_by(*(key.expression.desc() if key.descending else key.expression.asc() for key in keys))
                 .limit(query.fetch))
    return statement.offset(query.skip) if query.skip else statement


def count_statement(scope: sa.ColumnElement[bool], query: q.CollectionQuery, dialect: str) -> sa.Select[Any]:
    return sa.select(sa.func.count()).select_from(messages).where(matching(scope, query, dialect))


@dataclass(frozen=True)
class Page:
    rows: list[sa.Row[Any]]
    next: q.Keyset | None            # where the next page starts, if there is one
    count: int | None                # every matching row, when $count asked for it


async def page(conn: AsyncConnection, scope: sa.ColumnElement[bool], query: q.CollectionQuery) -> Page:
    dialect = conn.dialect.name
    count = (await conn.execute(count_statement(scope, query, dialect))).scalar_one() if query.count else None
    size = query.page_size
    if size == 0:
        return Page([], None, count)
    rows = list(await conn.execute(page_statement(scope, query, dialect)))
    shown, more = rows[:size], len(rows) > size
    served = (query.after.served if query.after else query.skip) + len(shown)
    if query.limit is not None and served >= query.limit:
        more = False
    last = shown[-1] if shown else None
    keyset = None
    if more and last is not None:
        width = len(query.orderby) + 1
        keyset = q.Keyset(tuple(_encoded(last._mapping[f"k{index}"]) for index in range(width)), served)
    return Page(shown, keyset, count)
