"""`graphpost serve`: start-up checks, then the roles (graphpost/server.py)."""

from __future__ import annotations

import logging
import shlex
import shutil
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from graphpost import logs
from graphpost.cli.apps import app
from graphpost.cli.common import StoreFlags, fail, redacted, return_store, run, signing_key, store_flags
from graphpost.config import Settings


@app.command()
@store_flags
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to listen on [default 127.0.0.1].")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port to listen on; 0 picks a free one [default 8000].")] = None,
    smtp_port: Annotated[Optional[int], typer.Option(
        help="Also accept mail for local users over SMTP on this port [default: off].")] = None,
    proxy_port: Annotated[Optional[int], typer.Option(
        help="Also run an HTTPS proxy (CONNECT) on this port answering for Graph's and Entra's real host names "
             "with the local CA's certificates; 0 picks a free port [default: off].")] = None,
    role: Annotated[Optional[list[str]], typer.Option(
        help="Run only this role (repeatable): api, delivery, smtp [default: all].")] = None,
    tls: Annotated[Optional[bool], typer.Option(
        "--tls/--no-tls", help="Serve HTTPS with a certificate from the local CA (graphpost ca prints its path) "
                               "[default: off].")] = None,
    tls_cert: Annotated[Optional[Path], typer.Option(
        help="Serve HTTPS with this PEM certificate (chain) instead [default: the local CA's].")] = None,
    tls_key: Annotated[Optional[Path], typer.Option(
        help="The PEM private key of --tls-cert [default: read from --tls-cert].")] = None,
    throttling: Annotated[Optional[bool], typer.Option(
        "--throttling/--no-throttling",
        help="Answer as Graph does past Outlook's limits (per app per mailbox: 10,000 requests per 10 minutes, 4 at "
             "once, 150 MB uploaded per 5 minutes) and 30 messages sent per minute: 429 with Retry-After; the "
             "throttle_* settings change the limits [default: off].")] = None,
    faults: Annotated[Optional[float], typer.Option(
        help="Fail this share of Graph requests (0 to 1) with 429, 500, 502, 503, 504 or 507 before they run "
             "[default: 0].")] = None,
    fault_seed: Annotated[Optional[int], typer.Option(
        help="Seed the fault draws, so that a run fails the same requests again [default: random].")] = None,
    log_level: Annotated[Optional[str], typer.Option(
        help="Log records of this level and above: debug, info, warning, error [default info].")] = None,
    log_format: Annotated[Optional[str], typer.Option(
        help="text, or json: one JSON object a line, a request's records with its request_id [default text].")] = None,
    *, store: StoreFlags,
) -> None:
    """Run the Graph API server, the delivery worker and the inbound SMTP listener (migrates the
    database first)."""
    from graphpost import server
    from graphpost.cli.certificates import https_context

    roles = set(role or server.ROLES)
    if roles - set(server.ROLES):
        fail(f"unknown role '{sorted(roles - set(server.ROLES))[0]}' (roles: {', '.join(server.ROLES)})")
    settings = store.settings(host=host, port=port, smtp_port=smtp_port, proxy_port=proxy_port, tls=tls,
                              tls_cert=tls_cert, tls_key=tls_key, throttling=throttling, faults=faults,
                              fault_seed=fault_seed, log_level=log_level, log_format=log_format)
    logs.configure(settings.log_level, settings.log_format)
    # Every request logs a line (api/context.py): leave out of each record what neither format
    # (graphpost/logs.py) shows, as the logging HOWTO's "Optimization" section lists (the caller's
    # file and line cost a walk up the stack).
    logging._srcfile = None  # type: ignore[attr-defined]
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    if settings.log_level != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)
    if server.API in roles:
        signing_key(settings)   # the app loads it as it starts: a bad key is one line here, not a traceback
    # Before the store and the socket: a bad certificate file stops start-up before anything else happens.
    https = https_context(settings) if server.API in roles else None
    # Migrate and seed in a loop of its own; the server's loop opens its own connections later.
    db = run(settings, return_store)
    sock = None
    if server.API in roles:
        try:
            sock = server.listening_socket(settings.host, settings.port)
        except OSError as exc:
            fail(f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}")
    if server.SMTP in roles and settings.smtp_port is not None:
        _check_smtp_port(settings, settings.smtp_port, sock)
    proxy = _proxy(settings, sock) if sock is not None and settings.proxy_port is not None else None
    if sock is not None:
        bound_port = sock.getsockname()[1]
        url_host = f"[{settings.host}]" if ":" in settings.host else settings.host
        scheme = "https" if https is not None else "http"
        typer.echo(f"graphpost listening on {scheme}://{url_host}:{bound_port} (Graph base URLs: "
                   f"{scheme}://{url_host}:{bound_port}/v1.0 and /beta)")
        if https is not None:
            typer.echo(https.note)
    if proxy is not None:
        proxy_url = f"http://{url_host}:{proxy.sock.getsockname()[1]}"
        typer.echo(f"graphpost proxy on {proxy_url} for Graph's and Entra's hosts (set HTTPS_PROXY={proxy_url} "
                   f"and trust the CA {_ca_path(settings)})")
    elif settings.proxy_port is not None:
        typer.echo("no proxy: it serves the api role, which this process does not run")
    typer.echo(f"database: {redacted(settings.sqlalchemy_url)}")
    planned = server.plan(settings, db, roles)
    for note in planned.notes:
        typer.echo(note)
    if sock is not None:
        typer.echo(f"mint a token with: {_token_command(settings, store.config)}")
        sys.stdout.flush()
        server.run_api(settings, db, sock, planned.background, https.context if https is not None else None, proxy)
    elif planned.background:
        sys.stdout.flush()
        server.run_background(db, planned.background)
    else:
        fail("nothing to run: the delivery role needs relay_host, the smtp role needs --smtp-port")


def _proxy(settings: Settings, http: Any) -> Any:
    """The proxy's socket and TLS context, or a one-line failure: a port that cannot be had or a CA
    that cannot be used stops serve before it starts."""
    from graphpost import server
    from graphpost.tls import TLSError
    port = settings.proxy_port
    if port == http.getsockname()[1] or (port and port == settings.smtp_port):
        fail(f"--proxy-port {port} is taken by another of serve's listeners; give it a port of its own")
    try:
        context = server.proxy_context(settings)
    except TLSError as exc:
        fail(str(exc))
    try:
        sock = server.listening_socket(settings.host, port or 0)
    except OSError as exc:
        fail(f"cannot listen for the proxy on {settings.host}:{port}: {exc.strerror}")
    return server.Proxy(sock, context)


def _ca_path(settings: Settings) -> Path:
    from graphpost.tls import local_ca
    return local_ca(settings.data_dir).cert_path


def _check_smtp_port(settings: Settings, port: int, http: Any) -> None:
    """Fail at start, as a busy HTTP port does, when the SMTP listener could not bind its port: the
    listener binds it later, inside the server's loop, where a failure would leave serve running
    without it."""
    from graphpost import server
    if http is not None and port == http.getsockname()[1]:
        fail(f"--smtp-port {port} is the port the HTTP API listens on; give them different ports")
    if port == 0:
        return
    try:
        server.listening_socket(settings.host, port).close()
    except OSError as exc:
        fail(f"cannot listen for SMTP on {settings.host}:{port}: {exc.strerror}")


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
        words += ["--database-url", shlex.quote(redacted(settings.database_url))]
    return " ".join(words)
