"""`graphpost db`: the schema."""

from __future__ import annotations

import typer

from graphpost.cli.apps import db_app
from graphpost.cli.common import StoreFlags, run_with_errors, store_flags


@db_app.command("upgrade")
@store_flags
def db_upgrade(store: StoreFlags) -> None:
    """Migrate the database to the newest schema."""
    from graphpost.store import migrate
    from graphpost.store.database import Database
    settings = store.settings()

    async def go() -> str | None:
        db = Database(settings.sqlalchemy_url)
        try:
            await migrate.upgrade(db)
            return await migrate.current_revision(db)
        finally:
            await db.dispose()

    typer.echo(f"database at revision {run_with_errors(settings, go)}")
