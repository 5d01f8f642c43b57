"""What the routes share for the life of the app: settings, the database, the token verifier."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from graphpost.auth.tokens import TokenVerifier
from graphpost.config import Settings
from graphpost.directory.recent import RecentLookups
from graphpost.mail.send_batch import SubmissionBatcher
from graphpost.store.directory import AppRow, UserRow
from graphpost.store import outbox
from graphpost.store.database import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    verifier: TokenVerifier
    submissions: SubmissionBatcher
    recent_users: RecentLookups[UserRow] = field(default_factory=RecentLookups)
    recent_apps: RecentLookups[AppRow] = field(default_factory=RecentLookups)

    @property
    def outbox_state(self) -> str:
        return outbox_state_for(self.settings)


def outbox_state_for(settings: Settings) -> str:
    """How external mail enters the outbox: queued for the relay, or captured without one."""
    return outbox.QUEUED if settings.relay_host else outbox.CAPTURED


def runtime_of(request: Request) -> Runtime:
    return request.app.state.runtime


async def runtime(request: Request) -> Runtime:
    """The dependency form. Async on purpose: FastAPI runs a plain-def dependency in a worker
    thread, a round trip per request for a lookup."""
    return request.app.state.runtime
