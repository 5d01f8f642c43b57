"""Test databases: a migrated SQLite template copied per test, and one PostgreSQL database per
test run (its own name, so parallel runs never collide) emptied between tests."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from graphpost.store import migrate
from graphpost.store.database import Database
from graphpost.store.schema import metadata

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def pg_admin_url() -> str:
    return os.environ.get("GRAPHPOST_TEST_DATABASE_URL", DEFAULT_PG_URL)


def postgres_required() -> bool:
    return os.environ.get("GRAPHPOST_REQUIRE_POSTGRES", "") not in ("", "0")


def asyncpg_url(url: str) -> str:
    return "postgresql+asyncpg:" + url.split(":", 1)[1]


async def _migrate(url: str) -> None:
    db = Database(url)
    try:
        await migrate.upgrade(db)
    finally:
        await db.dispose()


def make_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


def sqlite_copy(template: Path, directory: Path) -> str:
    path = directory / "graphpost.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


class PostgresRun:
    """One database for the whole test run, created and dropped here."""

    def __init__(self) -> None:
        admin = make_url(asyncpg_url(pg_admin_url()))
        self.name = f"graphpost_test_{uuid.uuid4().hex[:12]}"
        self.admin_url = admin.render_as_string(hide_password=False)
        self.url = admin.set(database=self.name).render_as_string(hide_password=False)

    async def _admin(self, statement: str) -> None:
        engine = create_async_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text(statement))
        finally:
            await engine.dispose()

    def create(self) -> None:
        asyncio.run(self._admin(f'CREATE DATABASE "{self.name}"'))
        asyncio.run(_migrate(self.url))

    def drop(self) -> None:
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    @property
    def plain_url(self) -> str:
        """The URL as a user would write it (postgresql://…)."""
        return "postgresql:" + self.url.split(":", 1)[1]


async def empty_postgres(db: Database) -> None:
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    async with db.write() as conn:
        await conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def start_postgres_run() -> PostgresRun | None:
    run = PostgresRun()
    try:
        run.create()
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        if postgres_required():
            pytest.fail(f"PostgreSQL at {pg_admin_url()} is required (GRAPHPOST_REQUIRE_POSTGRES=1) "
                        f"but unusable: {exc}", pytrace=False)
        return None
    return run


def count_in_database_file(path: str | Path, query: str, parameters: tuple[object, ...] = ()) -> int:
    """`SELECT count(*) …` on a SQLite database file alone: `immutable=1` reads it without its
    WAL, so rows show there only once a checkpoint has copied them (store/checkpoints.py)."""
    file_only = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(file_only.execute(query, parameters).fetchone()[0])
    finally:
        file_only.close()
