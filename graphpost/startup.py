"""Getting a store ready to serve: migrate to the newest schema, seed the default tenant."""

from __future__ import annotations

from graphpost.config import Settings
from graphpost.directory import service as directory
from graphpost.store import migrate
from graphpost.store.database import Database


async def prepare_store(settings: Settings) -> Database:
    db = Database(settings.sqlalchemy_url)
    try:
        await migrate.upgrade(db)
        if settings.create_default_tenant:
            await directory.ensure_default_tenant(db, settings.default_domain)
    except BaseException:
        await db.dispose()
        raise
    return db
