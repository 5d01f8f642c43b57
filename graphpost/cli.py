"""The `graphpost` command. Thin: it parses flags, builds Settings and calls the layers below."""

from __future__ import annotations

import asyncio
import logging
import shlex
import shutil
from datetime import datetime, timezone
import sys
from importlib.metadata import version as installed_version
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


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"graphpost {installed_version('graphpost')}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", callback=_print_version, is_eager=True)] = False) -> None:
    """graphpost: a self-hosted mail server that speaks the Microsoft Graph mail API."""

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="TOML file of settings.", envvar=None)]
DataDirOpt = Annotated[Optional[Path], typer.Option(
    "--data-dir", help="Where the SQLite file and signing key live [env GRAPHPOST_DATA_DIR; default ./.graphpost].")]
DatabaseOpt = Annotated[Optional[str], typer.Option(
    "--database-url", help="sqlite:///file or postgresql://user@host/db [env GRAPHPOST_DATABASE_URL].")]


def _fail(message: str) -> NoReturn:
    typer.echo(f"graphpost: {message}", err=True)
    raise typer.Exit(2)


# Settings whose flag is not --setting-name, so that an error names the flag that was typed.
_FLAG_NAMES = {"token_lifetime": "--lifetime"}


def _settings(config: Path | None, data_dir: Path | None, database_url: str | None, **more: Any) -> Settings:
    try:
        return load_settings(config, {"data_dir": data_dir, "database_url": database_url, **more},
                             flags=_FLAG_NAMES)
    except ConfigError as exc:
        _fail(str(exc))


def _run(settings: Settings, work: Callable[[Any], Awaitable[T]], *, existing: bool = False) -> T:
    """Open the store (migrated and seeded), run `work(db)`, close the store. With `existing`, the
    store must be there already: a command that only reads, run on a mistyped --data-dir, says so
    instead of making and seeding a new store there."""
    from graphpost.startup import prepare_store

    async def go() -> T:
        if existing:
            await _require_schema(settings)
        db = await prepare_store(settings)
        try:
            return await work(db)
        finally:
            await db.dispose()

    if existing:
        _require_sqlite_file(settings)
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
    if server.API in roles:
        _signing_key(settings)   # the app loads it as it starts: a bad key is one line here, not a traceback
    # Migrate and seed in a loop of its own; the server's loop opens its own connections later.
    db = _run(settings, _return_store)
    sock = None
    if server.API in roles:
        try:
            sock = server.listening_socket(settings.host, settings.port)
        except OSError as exc:
            _fail(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}")
    if server.SMTP in roles and settings.smtp_port is not None:
        _check_smtp_port(settings, sock)
    if sock is not None:
        bound_port = sock.getsockname()[1]
        url_host = f"[{settings.host}]" if ":" in settings.host else settings.host
        typer.echo(f"graphpost listening on http://{url_host}:{bound_port} (Graph base URLs: "
                   f"http://{url_host}:{bound_port}/v1.0 and /beta)")
    typer.echo(f"database: {_redacted(settings.sqlalchemy_url)}")
    planned = server.plan(settings, db, roles)
    for note in planned.notes:
        typer.echo(note)
    if sock is not None:
        typer.echo(f"mint a token with: {_token_command(settings, config)}")
        sys.stdout.flush()
        server.run_api(settings, db, sock, planned.background)
    elif planned.background:
        sys.stdout.flush()
        server.run_background(db, planned.background)
    else:
        _fail("nothing to run: the delivery role needs relay_host, the smtp role needs --smtp-port")


def _require_sqlite_file(settings: Settings) -> None:
    from graphpost.store.location import sqlite_file
    path = sqlite_file(settings.sqlalchemy_url)
    if path is not None and not path.is_file():
        _fail(f"no graphpost store at {path} (is --data-dir right? graphpost serve or graphpost user add makes one)")


async def _require_schema(settings: Settings) -> None:
    from graphpost.store import migrate
    from graphpost.store.database import Database
    if settings.sqlalchemy_url.startswith("sqlite"):
        return   # its file is there (_require_sqlite_file)
    db = Database(settings.sqlalchemy_url)
    try:
        revision = await migrate.current_revision(db)
    finally:
        await db.dispose()
    if revision is None:
        _fail(f"no graphpost store in the database {_redacted(settings.sqlalchemy_url)} (is --database-url right? "
              "graphpost serve or graphpost db upgrade makes one)")


def _check_smtp_port(settings: Settings, http: Any) -> None:
    """Fail at start, as a busy HTTP port does, when the SMTP listener could not bind its port: the
    listener binds it later, inside the server's loop, where a failure would leave serve running
    without it."""
    from graphpost import server
    port = settings.smtp_port
    if http is not None and port == http.getsockname()[1]:
        _fail(f"--smtp-port {port} is the port the HTTP API listens on; give them different ports")
    if port == 0:
        return
    try:
        server.listening_socket(settings.host, port).close()
    except OSError as exc:
        _fail(f"cannot listen for SMTP on {settings.host}:{port}: {exc.strerror}")


def _command_name() -> str:
    """How this graphpost is run from here: `graphpost` when PATH finds this very install, else
    the path of its script (.venv/bin/graphpost from the checkout), else `python -m graphpost`."""
    script = Path(sys.prefix) / "bin" / "graphpost"
    on_path = shutil.which("graphpost")
    if on_path and script.exists() and Path(on_path).resolve() == script.resolve():
        return "graphpost"
    if not script.exists():
        return f"{shlex.quote(sys.executable)} -m graphpost"
    try:
        return shlex.quote(str(script.relative_to(Path.cwd())))
    except ValueError:
        return shlex.quote(str(script))


def _token_command(settings: Settings, config: Path | None) -> str:
    """The `token` command that reaches this server's store, pasted in the same directory."""
    words = [_command_name(), "token", "--user", f"alice@{settings.default_domain}"]
    if config is not None:
        words += ["--config", shlex.quote(str(config))]
    if settings.data_dir != Path(".graphpost"):
        words += ["--data-dir", shlex.quote(str(settings.data_dir))]
    if settings.database_url:
        words += ["--database-url", shlex.quote(_redacted(settings.database_url))]
    return " ".join(words)


def _signing_key(settings: Settings) -> Any:
    from graphpost.auth import keys
    try:
        return keys.load_or_create(settings.data_dir)
    except keys.SigningKeyError as exc:
        _fail(str(exc))


def _run_with_errors(settings: Settings, go: Callable[[], Coroutine[Any, Any, T]]) -> T:
    from graphpost.directory.service import DirectoryError
    from graphpost.store.location import StoreLocationError, check_openable
    try:
        check_openable(settings.sqlalchemy_url)
        return asyncio.run(go())
    except (DirectoryError, StoreLocationError) as exc:
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
    from graphpost.auth import tokens
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
    key = _signing_key(settings)

    async def mint(db: Any) -> str:
        async with db.read() as conn:
            if user is not None:
                found = await rows.user_by_upn(conn, user)
                if found is None:
                    _fail(f"no user {user} (see: graphpost user list)")
                if not found.account_enabled:
                    # Entra refuses to issue one too (AADSTS50057, "The user account is disabled.").
                    _fail(f"the user {found.user_principal_name} is disabled (graphpost user enable "
                          f"{found.user_principal_name})")
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
    """Add a user (with a mailbox) to the tenant that accepts its domain; its id is the last word."""
    from graphpost.directory import service as directory
    settings = _settings(config, data_dir, database_url)
    created = _run(settings, lambda db: directory.add_user(db, upn, name))
    typer.echo(f"added user {created.user_principal_name} ({created.display_name}) with a mailbox, id {created.id}")


@user_app.command("list")
def user_list(config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """List users: id, userPrincipalName, displayName, accountEnabled."""
    from graphpost.store import directory as rows

    async def fetch(db: Any) -> list[Any]:
        async with db.read() as conn:
            return await rows.list_users(conn)

    found = _run(_settings(config, data_dir, database_url), fetch, existing=True)
    _echo_table(("id", "userPrincipalName", "displayName", "accountEnabled"),
                [(row.id, row.user_principal_name, row.display_name, str(row.account_enabled).lower())
                 for row in found])


@user_app.command("remove")
def user_remove(
    upn: Annotated[str, typer.Argument(help="userPrincipalName of the user.")],
    config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
) -> None:
    """Delete a user and its mailbox (folders, messages, mail still queued from it), for good."""
    from graphpost.directory import service as directory
    removed = _run(_settings(config, data_dir, database_url), lambda db: directory.remove_user(db, upn),
                   existing=True)
    typer.echo(f"removed user {removed.user_principal_name} and its mailbox")


def _set_enabled(upn: str, enabled: bool, config: Path | None, data_dir: Path | None, database_url: str | None) -> None:
    from graphpost.directory import service as directory
    changed = _run(_settings(config, data_dir, database_url),
                   lambda db: directory.set_user_enabled(db, upn, enabled), existing=True)
    typer.echo(f"{'enabled' if enabled else 'disabled'} user {changed.user_principal_name}")


@user_app.command("disable")
def user_disable(
    upn: Annotated[str, typer.Argument(help="userPrincipalName of the user.")],
    config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
) -> None:
    """Block the user's sign-in, as accountEnabled=false does: its tokens are refused (within seconds
    by a running server); its mailbox keeps its mail and still receives more."""
    _set_enabled(upn, False, config, data_dir, database_url)


@user_app.command("enable")
def user_enable(
    upn: Annotated[str, typer.Argument(help="userPrincipalName of the user.")],
    config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
) -> None:
    """Let a disabled user sign in again."""
    _set_enabled(upn, True, config, data_dir, database_url)


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

    found = _run(_settings(config, data_dir, database_url), fetch, existing=True)
    _echo_table(("clientId", "displayName", "permissions"),
                [(row.client_id, row.display_name, " ".join(row.permissions)) for row in found])


@app_app.command("remove")
def app_remove(
    client_id: Annotated[str, typer.Argument(help="Client id of the app (see: graphpost app list).")],
    config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
) -> None:
    """Delete an app registration: its tokens are refused (within seconds by a running server)."""
    from graphpost.directory import service as directory
    removed = _run(_settings(config, data_dir, database_url), lambda db: directory.remove_app(db, client_id),
                   existing=True)
    typer.echo(f"removed app {removed.client_id} ({removed.display_name})")


@tenant_app.command("add")
def tenant_add(
    domain: Annotated[str, typer.Argument(help="Accepted domain of the new tenant.")],
    name: Annotated[Optional[str], typer.Option(help="Display name.")] = None,
    config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None,
) -> None:
    """Add a tenant with one accepted domain; its id is the last word printed."""
    from graphpost.directory import service as directory
    tenant_id = _run(_settings(config, data_dir, database_url), lambda db: directory.add_tenant(db, domain, name))
    typer.echo(f"added tenant {name or domain.strip().lower()} accepting {domain.strip().lower()}, id {tenant_id}")


@tenant_app.command("list")
def tenant_list(config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """List tenants: id, name, accepted domains."""
    from graphpost.store import directory as rows

    async def fetch(db: Any) -> list[Any]:
        async with db.read() as conn:
            return await rows.list_tenants(conn)

    found = _run(_settings(config, data_dir, database_url), fetch, existing=True)
    _echo_table(("id", "displayName", "domains"), [(row.id, row.display_name, " ".join(row.domains)) for row in found])


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

    found = _run(_settings(config, data_dir, database_url), fetch, existing=True)
    _echo_table(("entry", "internetMessageId", "sender", "recipient", "state", "created"),
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

    found = _run(_settings(config, data_dir, database_url), fetch, existing=True)
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

    count = _run(_settings(config, data_dir, database_url), requeue, existing=True)
    typer.echo(f"requeued {count} entr{'y' if count == 1 else 'ies'}")


@queue_app.command("purge")
def queue_purge(entry_id: Annotated[int, typer.Argument(help="Entry number.")],
                config: ConfigOpt = None, data_dir: DataDirOpt = None, database_url: DatabaseOpt = None) -> None:
    """Remove an entry from the queue for good (its message is not sent, nor bounced)."""
    from graphpost.store import outbox

    async def purge(db: Any) -> bool:
        async with db.write() as conn:
            return await outbox.purge(conn, entry_id)

    if not _run(_settings(config, data_dir, database_url), purge, existing=True):
        _fail(f"no queue entry {entry_id}")
    typer.echo(f"purged entry {entry_id}")


def _echo_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Columns aligned under a header line (the last one unpadded): read by people, and still
    split by whitespace in scripts, after the header."""
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows)]
    for line in (header, *rows):
        typer.echo("  ".join([*(cell.ljust(width) for cell, width in zip(line[:-1], widths)), line[-1]]))


def main() -> None:
    app()
