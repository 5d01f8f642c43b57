"""The outbox and the delivery queue."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Optional

import typer

from graphpost.cli.apps import outbox_app, queue_app
from graphpost.cli.common import ConfigOpt, DatabaseOpt, DataDirOpt, echo_table, fail, run, settings_of


@queue_app.command("list")
@outbox_app.command("list")
def outbox_list(
    state: Annotated[Optional[str], typer.Option(
        help="Only entries in this state: captured, queued, deferred, delivered, failed.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries, oldest first.")] = 1000,
    config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
) -> None:
    """List outbox entries: entry, internetMessageId, sender, recipient, state, time."""
    from graphpost.store import outbox

    async def fetch(db: Any) -> list[Any]:
        async with db.read() as conn:
            return await outbox.entries(conn, state, limit)

    found = run(settings_of(config, data_dir, database_url), fetch, existing=True)
    echo_table(("entry", "internetMessageId", "sender", "recipient", "state", "created"),
               [(str(row.id), row.internet_message_id, row.sender, row.recipient, row.state,
                 row.created_at.strftime('%Y-%m-%dT%H:%M:%SZ')) for row in found])


@queue_app.command("show")
def queue_show(entry_id: Annotated[int, typer.Argument(help="Entry number (first column of queue list).")],
               config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Everything about one entry: state, attempts, next attempt, the relay's last answer."""
    from graphpost.store import outbox

    async def fetch(db: Any) -> Any:
        async with db.read() as conn:
            return await outbox.entry(conn, entry_id)

    found = run(settings_of(config, data_dir, database_url), fetch, existing=True)
    if found is None:
        fail(f"no queue entry {entry_id}")
    for name, value in found.__dict__.items():
        typer.echo(f"{name}: {value.strftime('%Y-%m-%dT%H:%M:%SZ') if hasattr(value, 'strftime') else value}")


@queue_app.command("retry")
def queue_retry(entry_id: Annotated[Optional[int], typer.Argument(help="Entry number.")] = None,
                all_entries: Annotated[bool, typer.Option("--all", help="Every deferred or failed entry.")] = False,
                config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Make deferred or failed entries due now (the running delivery worker takes them)."""
    from graphpost.store import outbox
    if (entry_id is None) == (not all_entries):
        fail("give an entry number or --all")

    async def requeue(db: Any) -> int:
        async with db.write() as conn:
            return await outbox.requeue(conn, None if all_entries else [entry_id or 0], datetime.now(timezone.utc))

    count = run(settings_of(config, data_dir, database_url), requeue, existing=True)
    typer.echo(f"requeued {count} entr{'y' if count == 1 else 'ies'}")


@queue_app.command("purge")
def queue_purge(entry_id: Annotated[int, typer.Argument(help="Entry number.")],
                config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Remove an entry from the queue for good (its message is not sent, nor bounced)."""
    from graphpost.store import outbox

    async def purge(db: Any) -> bool:
        async with db.write() as conn:
            return await outbox.purge(conn, entry_id)

    if not run(settings_of(config, data_dir, database_url), purge, existing=True):
        fail(f"no queue entry {entry_id}")
    typer.echo(f"purged entry {entry_id}")
