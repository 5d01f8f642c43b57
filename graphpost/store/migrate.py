"""Bring a database to the newest schema with Alembic, from code (no alembic.ini)."""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from graphpost.store.database import Database

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: several nodes starting at once on one PostgreSQL migrate one at a time.
_PG_MIGRATION_LOCK = 0x67726170


def _alembic_config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(connection: sa.Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    command.upgrade(_alembic_config(connection), revision)


def _current(connection: sa.Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(db: Database, revision: str = "head") -> None:
    async with db.writer.begin() as conn:
        await conn.run_sync(_upgrade, revision)


async def current_revision(db: Database) -> str | None:
    async with db.reader.connect() as conn:
        return await conn.run_sync(_current)


@functools.cache
def head_revision() -> str | None:
    """The newest revision of the migrations shipped with this graphpost (read from their files once)."""
    from alembic.script import ScriptDirectory
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


async def stored_revision(db: Database) -> str | None:
    """The revision the database is at, in one small read (an error for a database never migrated:
    it has no alembic_version table)."""
    async with db.read() as conn:
        return (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalar()
