"""What the routes share for the life of the app: settings, the database, the token verifier."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from graphpost.auth.tokens import TokenVerifier
from graphpost.config import Settings
from graphpost.store.database import Database


@dataclass
class Runtime:
    settings: Settings
    db: Database
    verifier: TokenVerifier


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime
