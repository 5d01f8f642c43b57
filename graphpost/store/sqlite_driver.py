"""SQLAlchemy's aiosqlite dialect, with one trip to the driver's thread per statement.

aiosqlite runs sqlite3 on a thread of its own; SQLAlchemy's adapter goes there and back for each
step of a statement: open a cursor, execute, fetch the rows, close the cursor. Every trip wakes the
event loop and resumes the request's whole stack of coroutines, which cost more than SQLite's own
work: sending a draft (a dozen statements) made ~50 trips. Here the four steps are one function run
on that thread, handed over through aiosqlite's queue exactly as SQLAlchemy's own dialect hands over
its isolation-level change (sqlalchemy/dialects/sqlite/aiosqlite.py), so the same versions of both
libraries that the lock file pins are what this relies on: pyproject.toml bounds them, and
`assumptions_problem` checks, once a process, that what this reaches into is still there and behaves
as it did; when it does not, store/database.py uses SQLAlchemy's own aiosqlite driver (`driver_name`)
and logs why. tests/store/test_sqlite_driver.py runs each check, so an upgrade fails there loudly.

Used as `sqlite+graphpost_aiosqlite://` (store/database.py); everything else is SQLAlchemy's."""

from __future__ import annotations

import asyncio
import collections
import logging
import sqlite3
import threading
from functools import cache, partial
from threading import Thread
from typing import Any, Callable, Sequence, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (AsyncAdapt_aiosqlite_connection, AsyncAdapt_aiosqlite_cursor,
                                                  AsyncAdapt_aiosqlite_dbapi, SQLiteDialect_aiosqlite)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.util.concurrency import await_

DRIVER = "graphpost_aiosqlite"
STANDARD_DRIVER = "aiosqlite"
log = logging.getLogger(__name__)
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


class AssumptionBroken(Exception):
    """What this module relies on in aiosqlite or SQLAlchemy is no longer so."""


def _slots(cls: type) -> set[str]:
    return {name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())}


def check_cursor_slots() -> None:
    # OneTripCursor.__init__ fills SQLAlchemy's cursor slots itself instead of calling its __init__
    # (which opens a driver cursor: a trip); a slot added or renamed there would be left unset.
    expected = {"_adapt_connection", "_connection", "_cursor", "_rows", "_soft_closed_memoized"}
    found = _slots(AsyncAdapt_aiosqlite_cursor)
    if found != expected:
        raise AssumptionBroken(f"SQLAlchemy's aiosqlite cursor has the slots {sorted(found)}, not {sorted(expected)}")


def check_cursor_hooks() -> None:
    # The methods OneTripCursor replaces must be the ones SQLAlchemy calls, and the ones it keeps
    # (fetching) must read the rows from `_rows`, where `_run` leaves them.
    for name in ("execute", "executemany", "_async_soft_close", "close", "description", "rowcount", "lastrowid"):
        if not hasattr(AsyncAdapt_aiosqlite_cursor, name):
            raise AssumptionBroken(f"SQLAlchemy's aiosqlite cursor has no {name}")
    cursor = object.__new__(OneTripCursor)
    cursor._rows = collections.deque([(1,), (2,), (3,)])
    if (cursor.fetchone(), cursor.fetchmany(1), cursor.fetchall()) != ((1,), [(2,)], [(3,)]):
        raise AssumptionBroken("SQLAlchemy's aiosqlite cursor does not fetch from its _rows")


def check_connection_hooks() -> None:
    # OneTripConnection's cursors come from `_cursor_cls`; they take the adapter's `_execute_mutex`
    # and hand errors to its `_handle_exception`, as SQLAlchemy's own cursor does.
    if "_execute_mutex" not in _slots(AsyncAdapt_aiosqlite_connection):
        raise AssumptionBroken("SQLAlchemy's aiosqlite connection has no _execute_mutex")
    for name in ("_cursor_cls", "_handle_exception", "cursor"):
        if not hasattr(AsyncAdapt_aiosqlite_connection, name):
            raise AssumptionBroken(f"SQLAlchemy's aiosqlite connection has no {name}")


def check_dbapi() -> None:
    # OneTripDBAPI.connect replaces the adapter module's and reads the aiosqlite module from it.
    dbapi = SQLiteDialect_aiosqlite.import_dbapi()
    if not isinstance(dbapi, AsyncAdapt_aiosqlite_dbapi) or getattr(dbapi, "aiosqlite", None) is None:
        raise AssumptionBroken("SQLAlchemy's aiosqlite dialect no longer keeps the aiosqlite module as .aiosqlite")


async def _probe_driver_thread() -> None:
    import aiosqlite
    connection = aiosqlite.connect(":memory:")
    thread = connection if isinstance(connection, Thread) else getattr(connection, "_thread", None)
    if not isinstance(thread, Thread):
        raise AssumptionBroken("an aiosqlite connection neither is nor has (as _thread) a thread")
    thread.daemon = True  # if what follows fails, the thread must not keep the process alive
    await connection
    try:
        if not isinstance(connection._conn, sqlite3.Connection):
            raise AssumptionBroken("aiosqlite's Connection._conn is not the sqlite3 connection")
        seen: list[int] = []

        def record(n: int, raw: sqlite3.Connection) -> int:
            seen.append(n)
            if threading.get_ident() != thread.ident or raw is not connection._connection:
                raise AssumptionBroken("a function put on aiosqlite's _tx queue ran off its thread or connection")
            return n

        # Queued work runs on aiosqlite's thread, in the order it was queued.
        futures = [asyncio.ensure_future(_on_driver_thread(connection, partial(record, n))) for n in range(3)]
        if await asyncio.gather(*futures) != [0, 1, 2] or seen != [0, 1, 2]:
            raise AssumptionBroken("aiosqlite's _tx queue does not run (future, function) pairs in order")
    finally:
        try:
            await connection.close()
        except Exception:
            connection.stop()


async def _probe_dialect() -> None:
    engine = create_async_engine(f"sqlite+{DRIVER}://")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
            inserted = await conn.exec_driver_sql("INSERT INTO t (name) VALUES ('a')")
            many = await conn.exec_driver_sql("INSERT INTO t (name) VALUES (?)", [("b",), ("c",)])
            rows = (await conn.exec_driver_sql("SELECT id, name FROM t ORDER BY id")).all()
            outcome = (inserted.lastrowid, many.rowcount, [tuple(row) for row in rows])
            if outcome != (1, 2, [(1, "a"), (2, "b"), (3, "c")]):
                raise AssumptionBroken("statements through the one-trip driver do not give their rows, rowcount "
                                       "and lastrowid")
            try:
                await conn.exec_driver_sql("SELECT * FROM missing")
            except sa.exc.OperationalError:
                pass
            else:
                raise AssumptionBroken("a driver error through the one-trip driver is not an OperationalError")
    finally:
        await engine.dispose()


def check_driver_thread() -> None:
    _in_own_loop(_probe_driver_thread)


def check_dialect() -> None:
    _in_own_loop(_probe_dialect)


def _in_own_loop(probe: Callable[[], Any]) -> None:
    # A thread with an event loop of its own: the caller may be sync code inside a running loop.
    outcome: list[BaseException | None] = [None]

    def go() -> None:
        try:
            asyncio.run(probe())
        except BaseException as error:
            outcome[0] = error

    runner = Thread(target=go, name="graphpost-sqlite-driver-check", daemon=True)
    runner.start()
    runner.join()
    if outcome[0] is not None:
        raise outcome[0]


CHECKS: dict[str, Callable[[], None]] = {
    "cursor slots": check_cursor_slots,
    "cursor hooks": check_cursor_hooks,
    "connection hooks": check_connection_hooks,
    "dbapi": check_dbapi,
    "aiosqlite driver thread": check_driver_thread,
    "one-trip dialect": check_dialect,  # last: it relies on all the above
}


@cache
def assumptions_problem() -> str | None:
    """Why this module's driver cannot be used with the installed libraries, or None if it can.
    Checked once a process (cleared by tests that change what it checks); a failure is logged."""
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:
            problem = f"{name}: {type(error).__name__}: {error}"
            log.warning("SQLite: using SQLAlchemy's own aiosqlite driver (slower: a trip to its thread per step "
                        "of a statement), since the installed aiosqlite or SQLAlchemy is not what %s was written "
                        "against (%s)", __name__, problem)
            return problem
    return None


def driver_name() -> str:
    """The SQLAlchemy driver for SQLite: this module's, or SQLAlchemy's own if its assumptions fail."""
    return DRIVER if assumptions_problem() is None else STANDARD_DRIVER
