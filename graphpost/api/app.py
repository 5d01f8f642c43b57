"""The ASGI application."""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Coroutine, Sequence

from fastapi import FastAPI

from graphpost.api import errors
from graphpost.api.context import RequestContextMiddleware
from graphpost.api.direct import DirectRoutes
from graphpost.api.faults import Faults
from graphpost.api.limits import BodyLimitMiddleware
from graphpost.api.limits_middleware import GraphLimitsMiddleware
from graphpost.api.route_labels import RouteLabels
from graphpost.api.routes import (attachments, batch, delta, folders, health, identity, messages, metadata, replies,
                                  send, sign_in, subscriptions, uploads, users)
from graphpost.api.runtime import Runtime
from graphpost.api.slashes import RepeatedSlashesMiddleware
from graphpost.api.throttling import Throttle
from graphpost.auth import keys
from graphpost.auth.tokens import TokenVerifier
from graphpost.config import Settings
from graphpost.delivery.capture import outbox_state
from graphpost.mail.send_batch import SubmissionBatcher
# The one store type the edge holds: the database it opens for the app's lifetime and hands to the
# domain, opaque to it.
from graphpost.store.database import Database

log = logging.getLogger("graphpost")
VERSIONS = ("/v1.0", "/beta")
# Each mail router serves both the signed-in user's mailbox and any named one.
MAILBOXES = ("/me", "/users/{user_ref}")
# Routers are matched in order, one after the other: the busiest (sending, messages) go first;
# delta before folders, whose /mailFolders/{folder_ref} would take /mailFolders/delta.
MAIL_ROUTERS = (send.router, messages.router, delta.router, folders.router, attachments.router, replies.router)
# POST /{version}/$batch runs its requests back through the app, so it needs no mailbox prefix.
ROUTERS = ([(metadata.router, ""), (users.router, ""), (subscriptions.router, "")]
           + [(router, mailbox) for router in MAIL_ROUTERS for mailbox in MAILBOXES] + [(batch.router, "")])


# A task run beside the API until it stops (graphpost.server: the delivery worker, inbound SMTP).
Background = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def create_app(settings: Settings, db: Database | None = None, background: Sequence[Background] = ()) -> FastAPI:
    """The app over `db` (opened from settings when not given). `background` tasks (the delivery
    worker) run beside it until it stops; then the database is disposed of (it can be used again)."""
    database = db or Database(settings.sqlalchemy_url)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stopping = asyncio.Event()
        tasks = [asyncio.create_task(run(stopping)) for run in background]
        yield
        stopping.set()
        await asyncio.gather(*tasks)
        await app.state.runtime.submissions.drain()
        log.info("graphpost stopped")
        # Whoever owns the database, what it started in this loop (the SQLite writer process)
        # stops with it.
        await database.dispose()

    app = FastAPI(title="graphpost", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    signing_key = keys.load_or_create(settings.data_dir)
    app.state.runtime = Runtime(settings, database, TokenVerifier(signing_key),
                                SubmissionBatcher(database, outbox_state(settings)),
                                throttle=Throttle(settings) if settings.throttling else None)
    app.state.signing_key = signing_key  # the identity endpoint signs with it and publishes its JWKS
    # Route templates, kept to name the unknown segment in Graph's 400 for an unknown path.
    app.state.route_templates = []
    # And each route's full templates, the `route` label of /metrics.
    route_labels = RouteLabels()
    for router, mailbox in ROUTERS:
        for version in VERSIONS:
            app.include_router(router, prefix=version + mailbox)
            app.state.route_templates += [version + mailbox + getattr(route, "path", "") for route in router.routes]
            for route in router.routes:
                route_labels.add(route, version + mailbox)
    # The upload URL of a session lives outside /v1.0 and /beta, as Graph's does (on outlook.office.com).
    app.include_router(uploads.router)
    app.state.route_templates += [getattr(route, "path", "") for route in uploads.router.routes]
    # The identity endpoint lives at the root too, as Entra ID's does (docs/identity.md); so do the
    # probes and /metrics, as Kubernetes and Prometheus expect them.
    roots = [identity.router, sign_in.router, health.probes] + ([health.scrape] if settings.metrics else [])
    for router in roots:
        app.include_router(router)
    for route in [route for router in (uploads.router, *roots) for route in router.routes]:
        route_labels.add(route, "")
    errors.install(app)
    app.add_middleware(DirectRoutes, graph_app=app)  # innermost: inside the body limit and the request ids
    app.add_middleware(BodyLimitMiddleware)
    if settings.throttling or settings.faults:
        # Only when on: without it, a request pays nothing for either (api/limits_middleware.py).
        app.add_middleware(GraphLimitsMiddleware, faults=Faults(settings) if settings.faults else None,
                           throttling=settings.throttling)
    app.add_middleware(RequestContextMiddleware, route_labels=route_labels)  # every answer carries the request ids
    app.add_middleware(RepeatedSlashesMiddleware)  # outermost: what is inside sees the path as Graph reads it
    return app
