"""`graphpost db`: the schema."""

from __future__ import annotations

import typer

from graphpost.cli.apps import db_app
from graphpost.cli.common import ConfigOpt, DatabaseOpt, DataDirOpt, run_with_errors, settings_of


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Migrate the database to the newest schema."""
    from graphpost.store import migrate
    from graphpost.store.database import Database
    settings = settings_of(config, data_dir, database_url)

    async def go() -> str | None:
        db = Database(settings.sqlalchemy_url)
        try:
            await migrate.upgrade(db)
            return await migrate.current_revision(db)
        finally:
            await db.dispose()

    typer.echo(f"database at revision {run_with_errors(settings, go)}")
