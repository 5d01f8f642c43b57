"""Many rows into one table in one statement, without SQLAlchemy's per-row type processing.

`conn.execute(table.insert(), rows)` runs every value of every row through its column type's
bind processor in Python; on the send path (five message rows per sendMail, each with four
timestamps and a JSON document) that was a quarter of the server's time. Here the INSERT is
compiled once per dialect from the Core table, each value is converted by the few rules the
schema needs, and the rows go to the driver's executemany as they are."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store.database import Database, Statement, json_text
from graphpost.store.types import UTCDateTime, sqlite_text

Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class _Plan:
    sql: str
    # A row's values in the statement's order, then the few that need converting, by position.
    values: Callable[[dict[str, Any]], tuple[Any, ...]]
    conversions: tuple[tuple[int, Convert], ...]

    def parameters(self, row: dict[str, Any], converted: dict[Convert, dict[int, Any]]) -> tuple[Any, ...]:
        """`converted` remembers, per conversion, what each value became: the rows of one
        statement share their timestamps, and a message's copies their JSON document, so each is
        converted once. Keyed by identity: the values stay alive (in the rows) meanwhile."""
        values = list(self.values(row))
        for position, convert in self.conversions:
            value = values[position]
            seen = converted[convert]
            key = id(value)
            if key in seen:
                values[position] = seen[key]
            else:
                values[position] = seen[key] = convert(value)
        return tuple(values)


_plans: dict[tuple[str, str, tuple[str, ...]], _Plan] = {}


def _sqlite_timestamp(value: datetime | None) -> str | None:
    return None if value is None else sqlite_text(value)


def _converter(column: sa.Column[Any], dialect: sa.Dialect) -> Convert | None:
    # One function per kind of value, whatever the column: what it made of a value is remembered
    # across the columns of a statement (_Plan.parameters).
    if isinstance(column.type, sa.JSON):
        return json_text
    if isinstance(column.type, UTCDateTime):
        return _sqlite_timestamp if dialect.name == "sqlite" else UTCDateTime.checked
    return None  # strings, integers and booleans go to both drivers as they are


def _plan(table: sa.Table, dialect: sa.Dialect, names: tuple[str, ...]) -> _Plan:
    key = (table.name, dialect.name, names)
    plan = _plans.get(key)
    if plan is None:
        compiled = table.insert().values({name: sa.bindparam(name) for name in names}).compile(dialect=dialect)
        order = compiled.positiontup or names
        conversions = tuple((position, convert) for position, name in enumerate(order)
                            if (convert := _converter(table.columns[name], dialect)) is not None)
        # itemgetter of one name gives the value, not a 1-tuple.
        values = operator.itemgetter(*order) if len(order) > 1 else (lambda row: (row[order[0]],))
        plan = _plans[key] = _Plan(str(compiled), values, conversions)
    return plan


def insert_statement(table: sa.Table, rows: Sequence[dict[str, Any]], dialect: sa.Dialect) -> Statement:
    """The INSERT of `rows` into `table`, ready for the driver. Every row names the same columns;
    the others take their defaults in the database."""
    plan = _plan(table, dialect, tuple(rows[0]))
    converted: dict[Convert, dict[int, Any]] = {convert: {} for _, convert in plan.conversions}
    return plan.sql, [plan.parameters(row, converted) for row in rows]


async def insert_rows(conn: AsyncConnection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (each naming the same columns of `table`)."""
    if rows:
        await conn.exec_driver_sql(*insert_statement(table, rows, conn.dialect))


async def insert_all(db: Database, inserts: Sequence[tuple[sa.Table, Sequence[dict[str, Any]]]]) -> None:
    """Insert rows into several tables in one write transaction of their own (on SQLite, one trip
    to the driver's thread: Database.write_statements)."""
    dialect = db.writer.dialect
    await db.write_statements([insert_statement(table, rows, dialect) for table, rows in inserts if rows])
