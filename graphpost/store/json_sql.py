"""Reading inside the JSON `data` of a row, in SQL, on either backend: SQLite's JSON1 functions
(json_extract, json_type, json_each) or PostgreSQL's for the `json` type (json_extract_path_text,
json_array_elements). Queries over recipients, categories or the body run in the database."""

from __future__ import annotations

from typing import Any, Callable

import sqlalchemy as sa

ValueAt = Callable[[tuple[str, ...]], sa.ColumnElement[Any]]
Predicate = Callable[[ValueAt], sa.ColumnElement[bool]]


def _sqlite_path(path: tuple[str, ...]) -> str:
    return "$" + "".join(f'."{key}"' for key in path)


def text(data: sa.ColumnElement[Any], path: tuple[str, ...], dialect: str) -> sa.ColumnElement[str]:
    """The string at `path` (NULL where there is none)."""
    if dialect == "sqlite":
        return sa.func.json_extract(data, _sqlite_path(path), type_=sa.String)
    return sa.func.json_extract_path_text(data, *path, type_=sa.String)


def boolean_text(data: sa.ColumnElement[Any], path: tuple[str, ...], dialect: str) -> sa.ColumnElement[str]:
    """The boolean at `path` as 'true' or 'false' (absent: 'false'), which also sorts false first."""
    if dialect == "sqlite":
        # json_extract would give 1/0; json_type names the JSON value itself.
        value = sa.func.json_type(data, _sqlite_path(path), type_=sa.String)
    else:
        value = sa.func.json_extract_path_text(data, *path, type_=sa.String)
    return sa.func.coalesce(value, "false", type_=sa.String)


def any_element(data: sa.ColumnElement[Any], key: str, dialect: str, predicate: Predicate | None = None, *,
                objects: bool = False) -> sa.ColumnElement[bool]:
    """Whether the array `data[key]` has an element meeting `predicate` (any element at all when
    None). `predicate` gets a function giving the text at a path inside the element: `()` for an
    array of strings, ("emailAddress", "address") in an array of recipients (`objects`)."""
    if dialect == "sqlite":
        elements = sa.func.json_each(data, _sqlite_path((key,))).table_valued("value").alias("element")

        def at(inner: tuple[str, ...]) -> sa.ColumnElement[Any]:
            return sa.func.json_extract(elements.c.value, _sqlite_path(inner), type_=sa.String) if inner \
                else elements.c.value
    else:
        # Strings come out of json_array_elements_text as text; objects stay json to look inside.
        function = sa.func.json_array_elements if objects else sa.func.json_array_elements_text
        elements = function(sa.func.json_extract_path(data, key)).table_valued("value").alias("element")

        def at(inner: tuple[str, ...]) -> sa.ColumnElement[Any]:
            return sa.func.json_extract_path_text(elements.c.value, *inner, type_=sa.String) if inner \
                else elements.c.value
    query = sa.select(sa.literal(1)).select_from(elements)
    if predicate is not None:
        query = query.where(predicate(at))
    return query.exists()
