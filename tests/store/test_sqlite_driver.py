"""The one-trip SQLite driver (store/sqlite_driver.py) reaches into aiosqlite's and SQLAlchemy's
private parts: each thing it relies on still holds with the installed versions (so an upgrade that
breaks one fails here, by name), and when one does not, the store falls back to SQLAlchemy's own
aiosqlite driver, says so in the log, and still works."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection

from graphpost.store import sqlite_driver
from graphpost.store.database import Database


@pytest.fixture
def fresh_check() -> Iterator[None]:
    # The check runs once a process: run it again for what the test changes, and again after.
    sqlite_driver.assumptions_problem.cache_clear()
    yield
    sqlite_driver.assumptions_problem.cache_clear()


@pytest.mark.parametrize("name", list(sqlite_driver.CHECKS))
def test_each_assumption_holds_with_the_installed_versions(name: str) -> None:
    sqlite_driver.CHECKS[name]()


def test_the_store_uses_the_one_trip_driver_when_the_assumptions_hold(fresh_check: None, tmp_path: Path) -> None:
    assert sqlite_driver.assumptions_problem() is None
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'one.db'}")
    assert db.reader.dialect.driver == db.writer.dialect.driver == sqlite_driver.DRIVER


@pytest.mark.parametrize(("owner", "attribute", "named"), [
    (aiosqlite.Connection, "_conn", "aiosqlite driver thread"),
    (AsyncAdapt_dbapi_connection, "_handle_exception", "connection hooks"),
])
async def test_a_broken_assumption_falls_back_to_the_standard_driver(
        fresh_check: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        owner: type, attribute: str, named: str) -> None:
    monkeypatch.delattr(owner, attribute, raising=True)
    caplog.set_level(logging.WARNING, logger=sqlite_driver.__name__)
    problem = sqlite_driver.assumptions_problem()
    assert problem is not None and problem.startswith(named)

    # Undone before the store is used: the standard driver needs what was taken away, too.
    monkeypatch.undo()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fallback.db'}")
    try:
        assert db.reader.dialect.driver == db.writer.dialect.driver == sqlite_driver.STANDARD_DRIVER
        async with db.write() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
            await conn.exec_driver_sql("INSERT INTO t (name) VALUES (?)", [("a",), ("b",)])
        async with db.read() as conn:
            rows = (await conn.execute(sa.text("SELECT name FROM t ORDER BY id"))).scalars().all()
        assert rows == ["a", "b"]
    finally:
        await db.dispose()
    assert [record.getMessage() for record in caplog.records if problem in record.getMessage()] != []
