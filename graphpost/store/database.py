"""Engine set-up: one Database object per process, with separate read and write paths.

SQLite allows one writer at a time. A deferred transaction that turns into a write can fail
with SQLITE_BUSY at once (no busy-wait is possible without risking deadlock), so writes go
through their own single-connection engine that opens every transaction with BEGIN IMMEDIATE;
readers use a pool and, thanks to WAL, never wait for the writer. PostgreSQL uses one engine.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, AsyncIterator, Sequence

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from graphpost.store import sqlite_driver
from graphpost.store.sqlite_pragmas import CONNECTION_PRAGMAS
from graphpost.store.sqlite_writer import WriterProcess

# A statement as the driver takes it: SQL and the parameters of each row (store/bulk.py).
Statement = tuple[str, list[tuple[Any, ...]]]


async def run_statements(conn: AsyncConnection, statements: Sequence[Statement]) -> None:
    """Each statement over its rows, inside the connection's transaction."""
    for operation, rows in statements:
        await conn.exec_driver_sql(operation, rows)


def json_text(value: Any) -> str:
    # JSON columns hold a message's body and recipients: orjson writes them several times faster.
    return orjson.dumps(value).decode()


_JSON = {"json_serializer": json_text, "json_deserializer": orjson.loads}


def _sqlite_engine(url: str, *, immediate: bool, pool_size: int) -> AsyncEngine:
    # Every transaction here ends in an explicit COMMIT or ROLLBACK (Database.read/write), so the
    # pool's rollback-on-return would only cost another round trip to the driver's thread.
    # One trip to aiosqlite's thread per statement (store/sqlite_driver.py), not four: if the
    # installed libraries still are what it was written for.
    driver = make_url(url).set(drivername=f"sqlite+{sqlite_driver.driver_name()}")
    engine = create_async_engine(driver, pool_size=pool_size, max_overflow=0, pool_timeout=60,
                                 pool_reset_on_return=None, **_JSON)

    @sa.event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin event (below) decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in CONNECTION_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        if immediate:
            # This writer never checkpoints: the writer process does (store/checkpoints.py).
            cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    @sa.event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self._writer_process: WriterProcess | None = None
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.reader = _sqlite_engine(url, immediate=False, pool_size=4)
            self.writer = _sqlite_engine(url, immediate=True, pool_size=1)
            if parsed.database and parsed.database != ":memory:":
                self._writer_process = WriterProcess(parsed.database)
        else:
            self.reader = self.writer = create_async_engine(url, pool_size=10, max_overflow=10, **_JSON)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction (a consistent snapshot)."""
        async with self.reader.connect() as conn:
            async with conn.begin():
                yield conn

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncConnection]:
        """A read-write transaction; committed when the block ends without an exception."""
        if self._writer_process is not None:
            # It checkpoints what this connection writes too (store/checkpoints.py).
            await self._writer_process.start()
        async with self.writer.begin() as conn:
            yield conn

    async def write_statements(self, statements: Sequence[Statement]) -> None:
        """Run each statement over its rows (store/bulk.py), in one write transaction that has
        committed when this returns. On a SQLite file, a process of its own writes it
        (store/sqlite_writer.py: SQLite's work then never waits for this process's GIL)."""
        if self._writer_process is not None:
            await self._writer_process.run(statements)
            return
        async with self.write() as conn:
            await run_statements(conn, statements)

    async def dispose(self) -> None:
        """Close connections and stop the writer process; the object may be used again
        afterwards (in another event loop, too), and starts it again on the next write."""
        if self._writer_process is not None:
            await self._writer_process.close()
        await self.reader.dispose()
        if self.writer is not self.reader:
            await self.writer.dispose()
