"""What `graphpost serve` runs, by role: the Graph API (uvicorn), the delivery worker and the
inbound SMTP listener. One process runs every role by default; `--role` picks some, so that
api and delivery can run as separate processes on several machines sharing one PostgreSQL."""

from __future__ import annotations

import asyncio
import signal
import socket
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graphpost import allocator, collector
from graphpost.api.app import Background
from graphpost.config import Settings
from graphpost.store.database import Database

if TYPE_CHECKING:
    from graphpost.notifications.dispatcher import NotificationDispatcher

API, DELIVERY, SMTP = "api", "delivery", "smtp"
ROLES = (API, DELIVERY, SMTP)


@dataclass
class Plan:
    background: list[Background] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # one line per role, for the operator


def plan(settings: Settings, db: Database, roles: set[str]) -> Plan:
    """The background tasks for these roles; a line for each saying what it will do."""
    found = Plan()
    if DELIVERY in roles:
        from graphpost.delivery.relay import Relay
        from graphpost.delivery.retry import RetrySchedule
        from graphpost.delivery.simulator import SimulatedServer
        from graphpost.delivery.worker import DeliveryWorker
        from graphpost.mail.simulator import SIMULATOR_DOMAIN
        schedule = RetrySchedule(settings.retry_first, settings.retry_max, settings.queue_lifetime)
        # Without a relay the worker still runs: the simulator's addresses are answered in capture mode too.
        found.background.append(DeliveryWorker(db, Relay(settings) if settings.relay_host else None, schedule,
                                               lease=settings.delivery_lease,
                                               simulator=SimulatedServer(settings.simulator_slow_delay)).run)
        if settings.relay_host:
            found.notes.append(f"relaying external mail to {settings.relay_host}:{settings.relay_port} "
                               f"({settings.relay_tls})")
        else:
            found.notes.append("no relay_host configured: external mail is captured (graphpost outbox list), "
                               "never sent")
        found.notes.append(f"mail to @{SIMULATOR_DOMAIN} answered by the simulator (README: Simulator addresses)")
    if DELIVERY in roles:
        found.background.append(notification_dispatcher(settings, db).run)
        found.notes.append("change notifications POSTed to subscribers' webhooks")
        from graphpost.mail.change_pruning import ChangeLogPruner
        found.background.append(ChangeLogPruner(db, settings.change_retention).run)
        found.notes.append(f"keeping the change log of delta queries for {settings.change_retention}")
    if SMTP in roles and settings.smtp_port is not None:
        from graphpost.inbound.listener import InboundListener
        found.background.append(InboundListener(db, settings.host, settings.smtp_port, settings.smtp_max_size).run)
        found.notes.append(f"inbound SMTP on {settings.host}:{settings.smtp_port} for the tenants' accepted domains")
    return found


def notification_dispatcher(settings: Settings, db: Database) -> NotificationDispatcher:
    """The dispatcher of change notifications, with the retry schedule of the settings."""
    import httpx

    from graphpost.api.resources import message_resource
    from graphpost.auth import keys
    from graphpost.delivery.retry import RetrySchedule
    from graphpost.notifications.dispatcher import NotificationDispatcher
    from graphpost.notifications.rich import RichContent
    schedule = RetrySchedule(settings.notification_retry_first, settings.notification_retry_max,
                             settings.notification_lifetime)
    # A rich notification's message is Graph's JSON of it, as the API renders it (webLink on Outlook's host).
    rich = RichContent(db, lambda message: message_resource(message, "https://outlook.office365.com"),
                       keys.load_or_create(settings.data_dir))
    return NotificationDispatcher(db, httpx.AsyncClient(), schedule, lease=settings.delivery_lease,
                                  post_timeout=settings.notification_timeout.total_seconds(), rich=rich)


def listening_socket(host: str, port: int) -> socket.socket:
    # IPPROTO_TCP spelled out: asyncio only sets TCP_NODELAY on sockets that say they are TCP,
    # and without it every response with a body waits for the client's delayed ACK (~40 ms).
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    # Listen before saying so: connections made as soon as the URL is printed wait in the
    # backlog until uvicorn serves them, instead of being refused.
    sock.listen(2048)
    return sock


@dataclass
class Proxy:
    """The proxy's listening socket and the TLS context it terminates tunnels with."""
    sock: socket.socket
    context: ssl.SSLContext


def proxy_context(settings: Settings) -> ssl.SSLContext:
    """One certificate from the local CA naming every cloud's Graph and sign-in hosts; made (and
    kept in the data directory) on first use. Raises TLSError with a line for the operator."""
    from graphpost.auth.clouds import proxied_hosts
    from graphpost.tls import local_ca, server_certificate, server_context
    return server_context(server_certificate(local_ca(settings.data_dir), proxied_hosts()).path)


def run_api(settings: Settings, db: Database, sock: socket.socket, background: list[Background],
            tls: ssl.SSLContext | None = None, proxy: Proxy | None = None) -> None:
    """Serve the API on `sock` until SIGINT or SIGTERM; over HTTPS with `tls`; with
    `proxy`, the proxy for Graph's host names beside it (graphpost/proxy/)."""
    import uvicorn

    from graphpost.api.app import create_app
    allocator.configure()  # large requests' memory goes back to the system (allocator.py)
    config = uvicorn.Config(create_app(settings, db, background), log_config=None, access_log=False,
                            lifespan="on", timeout_graceful_shutdown=10,
                            # uvicorn's own context is built from file names; ours is
                            # checked already and sets TLS 1.2 as the least (tls/context.py).
                            ssl_context_factory=(lambda config, default: tls) if tls else None)
    if proxy is None:
        server = uvicorn.Server(config)
    else:
        from graphpost.proxy.listener import ProxyLimits
        from graphpost.proxy.serving import ServerWithProxy
        server = ServerWithProxy(config, proxy.sock, proxy.context, ProxyLimits(
            settings.proxy_head_timeout.total_seconds(), settings.proxy_max_connections))
    collector.configure()  # the app's objects out of the collector's way (collector.py)
    # uvicorn finishes in-flight requests on SIGINT/SIGTERM, then re-raises the signal.
    server.run(sockets=[sock])


def run_background(db: Database, background: list[Background]) -> None:
    """The roles without the API, until SIGINT or SIGTERM; then each task finishes what it holds."""
    allocator.configure()
    async def main() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stopping.set)
        try:
            await asyncio.gather(*(task(stopping) for task in background))
        finally:
            await db.dispose()

    asyncio.run(main())

