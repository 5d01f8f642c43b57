"""Many rows into one table in one statement, without SQLAlchemy's per-row type processing, and
the one executor of a transaction's worth of such statements (`Writes`).

`conn.execute(table.insert(), rows)` runs every value of every row through its column type's
bind processor in Python; on the send path (five message rows per sendMail, each with four
timestamps and a JSON document) that was a quarter of the server's time. Here the INSERT (or
the UPDATE of rows by id) is compiled once per dialect from the Core table, each value is
converted by the few rules the schema needs, and the rows go to the driver's executemany as
they are.

`Writes` are rows by table, computed whole before the transaction: `commit` writes them in a
transaction of their own (on a SQLite file, by the writer process: Database.write_statements),
`write` inside the caller's transaction, with the same statements."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.store.database import Database, Statement, json_text, run_statements
from graphpost.store.types import UTCDateTime, sqlite_text

Convert = Callable[[Any], Any]
Rows = Sequence[dict[str, Any]]

# In a row of an UPDATE (Writes.updates): the id of the row it rewrites, which may get a new one.
OLD_ID = "old_id"
# SQLAlchemy wants the bound names of a SET to differ from the columns'.
_NEW = "new_"


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


_plans: dict[tuple[str, str, tuple[str, ...], bool], _Plan] = {}


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


def _plan(table: sa.Table, dialect: sa.Dialect, names: tuple[str, ...], update: bool) -> _Plan:
    key = (table.name, dialect.name, names, update)
    plan = _plans.get(key)
    if plan is None:
        statement: sa.Insert | sa.Update
        if update:
            statement = (table.update().where(table.c.id == sa.bindparam(OLD_ID))
                         .values({name: sa.bindparam(_NEW + name) for name in names if name != OLD_ID}))
        else:
            statement = table.insert().values({name: sa.bindparam(name) for name in names})
        compiled = statement.compile(dialect=dialect)
        # The rows' keys in the statement's order.
        order = tuple(name.removeprefix(_NEW) if update else name for name in (compiled.positiontup or names))
        conversions = tuple((position, convert) for position, name in enumerate(order)
                            if name != OLD_ID and (convert := _converter(table.columns[name], dialect)) is not None)
        # itemgetter of one name gives the value, not a 1-tuple.
        values = operator.itemgetter(*order) if len(order) > 1 else (lambda row: (row[order[0]],))
        plan = _plans[key] = _Plan(str(compiled), values, conversions)
    return plan


def _statement(table: sa.Table, rows: Rows, dialect: sa.Dialect, update: bool) -> Statement:
    plan = _plan(table, dialect, tuple(rows[0]), update)
    converted: dict[Convert, dict[int, Any]] = {convert: {} for _, convert in plan.conversions}
    return plan.sql, [plan.parameters(row, converted) for row in rows]


def insert_statement(table: sa.Table, rows: Rows, dialect: sa.Dialect) -> Statement:
    """The INSERT of `rows` into `table`, ready for the driver. Every row names the same columns;
    the others take their defaults in the database."""
    return _statement(table, rows, dialect, update=False)


async def insert_rows(conn: AsyncConnection, table: sa.Table, rows: Rows) -> None:
    """Insert `rows` (each naming the same columns of `table`)."""
    if rows:
        await conn.exec_driver_sql(*insert_statement(table, rows, conn.dialect))


@dataclass
class Writes:
    """The rows of one transaction, by table. `updates` come first: each row gives the new values
    of the columns it names and, under OLD_ID, the id of the row it rewrites. Then `inserts`, in
    their order (a row after those it refers to). Every row of one entry names the same columns."""
    inserts: list[tuple[sa.Table, Rows]]
    updates: list[tuple[sa.Table, Rows]] = field(default_factory=list)

    def statements(self, dialect: sa.Dialect) -> list[Statement]:
        return ([_statement(table, rows, dialect, update=True) for table, rows in self.updates if rows]
                + [_statement(table, rows, dialect, update=False) for table, rows in self.inserts if rows])


async def write(conn: AsyncConnection, writes: Writes) -> None:
    """Write `writes` inside the caller's transaction (which may have read what they depend on)."""
    await run_statements(conn, writes.statements(conn.dialect))


async def commit(db: Database, writes: Writes) -> None:
    """Write `writes` in one write transaction of their own, committed when this returns (on a
    SQLite file, one trip to the writer process: Database.write_statements)."""
    await db.write_statements(writes.statements(db.writer.dialect))


async def insert_all(db: Database, inserts: Sequence[tuple[sa.Table, Rows]]) -> None:
    """Insert rows into several tables in one write transaction of their own."""
    await commit(db, Writes(list(inserts)))
