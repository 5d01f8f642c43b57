"""The `graphpost` command. Thin: it parses flags, builds Settings and calls the layers below."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
import sys
from pathlib import Path
from typing import Annotated, Any, Awaitable, Callable, Coroutine, NoReturn, Optional, TypeVar

import typer

from graphpost.config import ConfigError, Settings, load_settings

T = TypeVar("T")

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

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="TOML file of settings.", envvar=None)]
DataDirOpt = Annotated[Optional[Path], typer.Option(
    "--data-dir", help="Where the SQLite file and signing key live [env GRAPHPOST_DATA_DIR; default ./.graphpost].")]
DatabaseOpt = Annotated[Optional[str], typer.Option(
    "--database-url", help="sqlite:///file or postgresql://user@host/db [env GRAPHPOST_DATABASE_URL].")]


def _fail(message: str) -> NoReturn:
    typer.echo(f"graphpost: {message}", err=True)
    raise typer.Exit(2)


def _settings(config: Path | None, data_dir: Path | None, database_url: str | None, **more: Any) -> Settings:
    try:
        return load_settings(config, {"data_dir": data_dir, "database_url": database_url, **more})
    except ConfigError as exc:
        _fail(str(exc))


def _run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Open the store (migrated and seeded), run `work(db)`, close the store."""
    from graphpost.startup import prepare_store

    async def go() -> T:
        db = await prepare_store(settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return _run_with_errors(settings, go)


@app.command()
def serve(
    config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
    host: Annotated[Optional[str], typer.Option(help="Address to listen on [default 127.0.0.1].")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port to listen on; 0 picks a free one [default 8000].")] = None,
    smtp_port: Annotated[Optional[int], typer.Option(
        help="Also accept mail for local users over SMTP on this port [default: off].")] = None,
    role: Annotated[Optional[list[str]], typer.Option(
        help="Run only this role (repeatable): api, delivery, smtp [default: all].")] = None,
) -> None:
    """Run the Graph API server, the delivery worker and the inbound SMTP listener (migrates the
    database first)."""
    from graphpost import server

    roles = set(role or server.ROLES)
    if roles - set(server.ROLES):
        _fail(f"unknown role '{sorted(roles - set(server.ROLES))[0]}' (roles: {', '.join(server.ROLES)})")
    settings = _settings(config, data_dir, database_url, host=host, port=port, smtp_port=smtp_port)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Every request logs a line (api/context.py): leave out of each record what the format above
    # never shows, as the logging HOWTO's "Optimization" section lists (the caller's file and
    # line cost a walk up the stack).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    if settings.log_level != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    # Migrate and seed in a loop of its own; the server's loop opens its own connections later.
    db = _run(settings, _return_store)
    sock = None
    if server.API in roles:
        try:
            sock = server.listening_socket(settings.host, settings.port)
        except OSError as exc:
            _fail(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}")
        bound_port = sock.getsockname()[1]
        url_host = f"[{settings.host}]" if ":" in settings.host else settings.host
        typer.echo(f"graphpost listening on http://{url_host}:{bound_port} (Graph base URLs: "
                   f"http://{url_host}:{bound_port}/v1.0 and /beta)")
    typer.echo(f"database: {_redacted(settings.sqlalchemy_url)}")
    planned = server.plan(settings, db, roles)
    for note in planned.notes:
        typer.echo(note)
    if sock is not None:
        typer.echo("mint a token with: graphpost token --user alice@contoso.test"
                   + (f" --data-dir {settings.data_dir}" if settings.data_dir != Path(".graphpost") else ""))
        sys.stdout.flush()
        server.run_api(settings, db, sock, planned.background)
    elif planned.background:
        sys.stdout.flush()
        server.run_background(db, planned.background)
    else:
        _fail("nothing to run: the delivery role needs relay_host, the smtp role needs --smtp-port")


def _run_with_errors(settings: Settings, go: Callable[[], Coroutine[Any, Any, T]]) -> T:
    from graphpost.directory.service import DirectoryError
    try:
        return asyncio.run(go())
    except DirectoryError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot open the database {_redacted(settings.sqlalchemy_url)}: {exc}")
    except Exception as exc:
        if type(exc).__module__.startswith(("sqlalchemy", "asyncpg")):
            _fail(f"database error: {str(exc).splitlines()[0]}")
        raise


async def _return_store(db: Any) -> Any:
    return db


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


@app.command()
def token(
    user: Annotated[Optional[str], typer.Option(help="Delegated token for this userPrincipalName.")] = None,
    app_id: Annotated[Optional[str], typer.Option("--app", help="Application token for this client id.")] = None,
    scope: Annotated[Optional[list[str]], typer.Option(
        help="Delegated permission (repeatable) [default Mail.ReadWrite Mail.Send].")] = None,
    lifetime: Annotated[Optional[str], typer.Option(help="Like 90s, 15m, 1h, 2d [default 1h].")] = None,
    config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
) -> None:
    """Print an access token for a user (delegated) or an app (application)."""
    from graphpost.auth import keys, tokens
    from graphpost.auth.permissions import DEFAULT_DELEGATED_SCOPES, unknown_permissions
    from graphpost.store import directory as rows

    if (user is None) == (app_id is None):
        _fail("give exactly one of --user UPN or --app CLIENT_ID")
    if app_id is not None and scope:
        _fail("--scope is for delegated tokens; an app's token carries the permissions granted to it")
    settings = _settings(config, data_dir, database_url, token_lifetime=lifetime)
    scopes = list(dict.fromkeys(scope or DEFAULT_DELEGATED_SCOPES))
    if unknown_permissions(scopes):
        _fail(f"unknown permission '{unknown_permissions(scopes)[0]}'")
    key = keys.load_or_create(settings.data_dir)

    async def mint(db: Any) -> str:
        async with db.read() as conn:
            if user is not None:
                found = await rows.user_by_upn(conn, user)
                if found is None:
                    _fail(f"no user {user} (see: graphpost user list)")
                subject = tokens.DelegatedSubject(found.tenant_id, found.id, found.user_principal_name,
                                                  found.display_name)
                return tokens.issue_delegated(key, subject, scopes, settings.token_lifetime)
            registered = await rows.app_by_client_id(conn, app_id or "")
            if registered is None:
                _fail(f"no app with client id {app_id} (see: graphpost app list)")
            return tokens.issue_application(key, registered.tenant_id, registered.client_id,
                                            list(registered.permissions), settings.token_lifetime)

    typer.echo(_run(settings, mint))


@user_app.command("add")
def user_add(
    upn: Annotated[str, typer.Argument(help="userPrincipalName, e.g. carol@contoso.test.")],
    name: Annotated[Optional[str], typer.Option(help="Display name.")] = None,
    config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
) -> None:
    """Add a user (with a mailbox) to the tenant that accepts its domain; prints its id."""
    from graphpost.directory import service as directory
    settings = _settings(config, data_dir, database_url)
    created = _run(settings, lambda db: directory.add_user(db, upn, name))
    typer.echo(created.id)


@user_app.command("list")
def user_list(config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """List users: id, userPrincipalName, display name."""
    from graphpost.store import directory as rows

    async def fetch(db: Any) -> list[Any]:
        async with db.read() as conn:
            return await rows.list_users(conn)

    for row in _run(_settings(config, data_dir, database_url), fetch):
        typer.echo(f"{row.id}  {row.user_principal_name}  {row.display_name}")


@app_app.command("add")
def app_add(
    name: Annotated[str, typer.Argument(help="Display name of the app.")],
    permission: Annotated[list[str], typer.Option(help="Application permission to grant (repeatable).")],
    tenant: Annotated[Optional[str], typer.Option(help="Domain of the tenant, when there are several.")] = None,
    config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
) -> None:
    """Register an app with application permissions; prints its client id and secret."""
    from graphpost.directory import service as directory
    created = _run(_settings(config, data_dir, database_url), lambda db: directory.add_app(db, name, permission, tenant))
    typer.echo(f"client_id: {created.app.client_id}")
    typer.echo(f"client_secret: {created.secret}")


@app_app.command("list")
def app_list(config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """List app registrations: client id, name, granted permissions."""
    from graphpost.store import directory as rows

    async def fetch(db: Any) -> list[Any]:
        async with db.read() as conn:
            return await rows.list_apps(conn)

    for row in _run(_settings(config, data_dir, database_url), fetch):
        typer.echo(f"{row.client_id}  {row.display_name}  {' '.join(row.permissions)}")


@tenant_app.command("add")
def tenant_add(
    domain: Annotated[str, typer.Argument(help="Accepted domain of the new tenant.")],
    name: Annotated[Optional[str], typer.Option(help="Display name.")] = None,
    config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
) -> None:
    """Add a tenant with one accepted domain; prints its id."""
    from graphpost.directory import service as directory
    typer.echo(_run(_settings(config, data_dir, database_url), lambda db: directory.add_tenant(db, domain, name)))


@tenant_app.command("list")
def tenant_list(config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """List tenants: id, name, accepted domains."""
    from graphpost.store import directory as rows

    async def fetch(db: Any) -> list[Any]:
        async with db.read() as conn:
            return await rows.list_tenants(conn)

    for row in _run(_settings(config, data_dir, database_url), fetch):
        typer.echo(f"{row.id}  {row.display_name}  {' '.join(row.domains)}")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Migrate the database to the newest schema."""
    from graphpost.store import migrate
    from graphpost.store.database import Database
    settings = _settings(config, data_dir, database_url)

    async def go() -> str | None:
        db = Database(settings.sqlalchemy_url)
        try:
            await migrate.upgrade(db)
            return await migrate.current_revision(db)
        finally:
            await db.dispose()

    typer.echo(f"database at revision {_run_with_errors(settings, go)}")


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

    for row in _run(_settings(config, data_dir, database_url), fetch):
        typer.echo(f"{row.id}  {row.internet_message_id}  {row.sender} -> {row.recipient}  {row.state}  "
                   f"{row.created_at.strftime('%Y-%m-%dT%H:%M:%SZ')}")


@queue_app.command("show")
def queue_show(entry_id: Annotated[int, typer.Argument(help="Entry number (first column of queue list).")],
               config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Everything about one entry: state, attempts, next attempt, the relay's last answer."""
    from graphpost.store import outbox

    async def fetch(db: Any) -> Any:
        async with db.read() as conn:
            return await outbox.entry(conn, entry_id)

    found = _run(_settings(config, data_dir, database_url), fetch)
    if found is None:
        _fail(f"no queue entry {entry_id}")
    for name, value in found.__dict__.items():
        typer.echo(f"{name}: {value.strftime('%Y-%m-%dT%H:%M:%SZ') if hasattr(value, 'strftime') else value}")


@queue_app.command("retry")
def queue_retry(entry_id: Annotated[Optional[int], typer.Argument(help="Entry number.")] = None,
                all_entries: Annotated[bool, typer.Option("--all", help="Every deferred or failed entry.")] = False,
                config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Make deferred or failed entries due now (the running delivery worker takes them)."""
    from graphpost.store import outbox
    if (entry_id is None) == (not all_entries):
        _fail("give an entry number or --all")

    async def requeue(db: Any) -> int:
        async with db.write() as conn:
            return await outbox.requeue(conn, None if all_entries else [entry_id or 0], datetime.now(timezone.utc))

    count = _run(_settings(config, data_dir, database_url), requeue)
    typer.echo(f"requeued {count} entr{'y' if count == 1 else 'ies'}")


@queue_app.command("purge")
def queue_purge(entry_id: Annotated[int, typer.Argument(help="Entry number.")],
                config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Remove an entry from the queue for good (its message is not sent, nor bounced)."""
    from graphpost.store import outbox

    async def purge(db: Any) -> bool:
        async with db.write() as conn:
            return await outbox.purge(conn, entry_id)

    if not _run(_settings(config, data_dir, database_url), purge):
        _fail(f"no queue entry {entry_id}")
    typer.echo(f"purged entry {entry_id}")


def main() -> None:
    app()
