"""SQLAlchemy's aiosqlite dialect, with one trip to the driver's thread per statement.

aiosqlite runs sqlite3 on a thread of its own; SQLAlchemy's adapter goes there and back for each
step of a statement: open a cursor, execute, fetch the rows, close the cursor. Every trip wakes the
event loop and resumes the request's whole stack of coroutines, which cost more than SQLite's own
work: sending a draft (a dozen statements) made ~50 trips. Here the four steps are one function run
on that thread, handed over through aiosqlite's queue exactly as SQLAlchemy's own dialect hands over
its isolation-level change (sqlalchemy/dialects/sqlite/aiosqlite.py), so the same versions of both
libraries that the lock file pins are what this relies on.

Used as `sqlite+graphpost_aiosqlite://` (store/database.py); everything else is SQLAlchemy's."""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from functools import partial
from threading import Thread
from typing import Any, Callable, Sequence, TypeVar

from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor,
                                                  AsyncAdapt_aiosqlite_dbapi, SQLiteDialect_aiosqlite)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

DRIVER = "graphpost_aiosqlite"
T = TypeVar("T")
# What a statement leaves behind: its cursor's description, rowcount and lastrowid, and its rows.
Outcome = tuple[Any, int, int | None, list[Any] | None]


async def _on_driver_thread(connection: Any, function: Callable[[sqlite3.Connection], T]) -> T:
    """Run `function(sqlite3 connection)` on the aiosqlite connection's thread, in its queue's order."""
    future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
    connection._tx.put_nowait((future, partial(function, connection._conn)))
    return await future


def _execute(operation: str, parameters: Any, raw: sqlite3.Connection) -> Outcome:
    cursor = raw.cursor()
    try:
        if parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


def _executemany(operation: str, parameters: Sequence[Any], raw: sqlite3.Connection) -> Outcome:
    cursor = raw.cursor()
    try:
        cursor.executemany(operation, parameters)
        return None, cursor.rowcount, cursor.lastrowid, None
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statements each make one trip; it holds their outcome, never a driver cursor."""
    __slots__ = ("_outcome",)

    def __init__(self, adapt_connection: Any) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._outcome: Outcome = (None, -1, None, None)

    @property
    def description(self) -> Any:
        return self._outcome[0]

    @property
    def rowcount(self) -> int:
        return self._outcome[1]

    @property
    def lastrowid(self) -> int:
        return self._outcome[2]  # type: ignore[return-value]

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._run(partial(_execute, operation, parameters))

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(partial(_executemany, operation, seq_of_parameters))

    def _run(self, function: Callable[[sqlite3.Connection], Outcome]) -> None:
        try:
            self._outcome = await_(self._locked(function))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        rows = self._outcome[3]
        self._rows = collections.deque(rows) if rows is not None else collections.deque()

    async def _locked(self, function: Callable[[sqlite3.Connection], Outcome]) -> Outcome:
        async with self._adapt_connection._execute_mutex:
            return await _on_driver_thread(self._connection, function)

    async def _async_soft_close(self) -> None:
        return None  # no driver cursor is left open

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        connection = self.aiosqlite.connect(*arg, **kw)
        # As SQLAlchemy's dialect does: the driver's thread must not keep the process alive.
        thread = connection if isinstance(connection, Thread) else connection._thread
        thread.daemon = True
        return OneTripConnection(self, await_(connection))


class SQLiteDialect_graphpost(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneTripDBAPI:  # type: ignore[override]
        return OneTripDBAPI(__import__("aiosqlite"), __import__("sqlite3"))


registry.register(f"sqlite.{DRIVER}", __name__, "SQLiteDialect_graphpost")
