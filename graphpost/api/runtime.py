"""What the routes share for the life of the app: settings, the database, the token verifier."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from graphpost.api.throttling import Throttle
from graphpost.auth.tokens import TokenVerifier
from graphpost.config import Settings
from graphpost.delivery.capture import outbox_state
from graphpost.directory.recent import RecentLookups
from graphpost.directory.types import App, User
from graphpost.mail.send_batch import SubmissionBatcher
# The one store type the edge holds: the database handle it hands to the domain, opaque to it.
from graphpost.store.database import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    verifier: TokenVerifier
    submissions: SubmissionBatcher
    recent_users: RecentLookups[User] = field(default_factory=RecentLookups)
    recent_apps: RecentLookups[App] = field(default_factory=RecentLookups)
    throttle: Throttle | None = None  # Graph's throttling, when the setting is on

    @property
    def outbox_state(self) -> str:
        """How external mail enters the outbox: queued for the relay, or captured without one."""
        return outbox_state(self.settings)


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


async def runtime(request: Request) -> Runtime:
    """The dependency form. Async on purpose: FastAPI runs a plain-def dependency in a worker
    thread, a round trip per request for a lookup."""
    return request.app.state.runtime
