"""The outbox and the delivery queue."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Optional

import typer

from graphpost.cli.apps import outbox_app, queue_app
from graphpost.cli.common import StoreFlags, echo_table, fail, store_flags


@queue_app.command("list")
@outbox_app.command("list")
@store_flags
def outbox_list(
    state: Annotated[Optional[str], typer.Option(
        help="Only entries in this state: captured, queued, deferred, delivered, failed.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many entries, oldest first.")] = 1000,
    *, store: StoreFlags,
) -> None:
    """List outbox entries: entry, internetMessageId, sender, recipient, state, time."""
    from graphpost.store import outbox
    found = store.read(lambda conn: outbox.entries(conn, state, limit))
    echo_table(("entry", "internetMessageId", "sender", "recipient", "state", "created"),
               [(str(row.id), row.internet_message_id, row.sender, row.recipient, row.state,
                 row.created_at.strftime('%Y-%m-%dT%H:%M:%SZ')) for row in found])


@queue_app.command("show")
@store_flags
def queue_show(entry_id: Annotated[int, typer.Argument(help="Entry number (first column of queue list).")],
               *, store: StoreFlags) -> None:
    """Everything about one entry: state, attempts, next attempt, the relay's last answer."""
    from graphpost.store import outbox
    found = store.read(lambda conn: outbox.entry(conn, entry_id))
    if found is None:
        fail(f"no queue entry {entry_id}")
    for name, value in found.__dict__.items():
        typer.echo(f"{name}: {value.strftime('%Y-%m-%dT%H:%M:%SZ') if hasattr(value, 'strftime') else value}")


@queue_app.command("retry")
@store_flags
def queue_retry(entry_id: Annotated[Optional[int], typer.Argument(help="Entry number.")] = None,
                all_entries: Annotated[bool, typer.Option("--all", help="Every deferred or failed entry.")] = False,
                *, store: StoreFlags) -> None:
    """Make deferred or failed entries due now (the running delivery worker takes them)."""
    from graphpost.store import outbox
    if (entry_id is None) == (not all_entries):
        fail("give an entry number or --all")
    count = store.write(lambda conn: outbox.requeue(conn, None if all_entries else [entry_id or 0],
                                                    datetime.now(timezone.utc)))
    typer.echo(f"requeued {count} entr{'y' if count == 1 else 'ies'}")


@queue_app.command("purge")
@store_flags
def queue_purge(entry_id: Annotated[int, typer.Argument(help="Entry number.")], *, store: StoreFlags) -> None:
    """Remove an entry from the queue for good (its message is not sent, nor bounced)."""
    from graphpost.store import outbox
    if not store.write(lambda conn: outbox.purge(conn, entry_id)):
        fail(f"no queue entry {entry_id}")
    typer.echo(f"purged entry {entry_id}")
