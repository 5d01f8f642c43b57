"""The `graphpost` command and its groups of subcommands."""

from __future__ import annotations

from importlib.metadata import version as installed_version
from typing import Annotated

import typer


app = typer.Typer(help="graphpost: a self-hosted mail server that speaks the Microsoft Graph mail API.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
user_app = typer.Typer(help="Users of the directory.", no_args_is_help=True)
app_app = typer.Typer(help="App registrations (for application tokens).", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants and their accepted domains.", no_args_is_help=True)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
outbox_app = typer.Typer(help="Mail for external recipients (captured until a relay is configured).",
                         no_args_is_help=True)
queue_app = typer.Typer(help="The delivery queue: inspect, retry and purge outbox entries.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(app_app, name="app")
app.add_typer(tenant_app, name="tenant")
app.add_typer(db_app, name="db")
app.add_typer(outbox_app, name="outbox")
app.add_typer(queue_app, name="queue")


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"graphpost {installed_version('graphpost')}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", callback=_print_version, is_eager=True)] = False) -> None:
    """graphpost: a self-hosted mail server that speaks the Microsoft Graph mail API."""
