"""Refresh tokens (RFC 6749 §6): handed out with `offline_access`, stored as SHA-256 digests in
SQL, good once: redeeming one (refresh.py) deletes it and hands out its successor (rotation).
Removing the user deletes their tokens; a disabled user's are refused."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from graphpost.store import sign_ins
from graphpost.store.database import Database

# Entra's refresh tokens live 90 days (and are renewed on use).
LIFETIME = timedelta(days=90)
# Longer than any token graphpost hands out (64 characters); a longer one is unknown at once.
MAX_TOKEN = 512


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


async def issue(db: Database, client_id: str, user_id: str, scope: str, now: datetime | None = None) -> str:
    token = secrets.token_urlsafe(48)
    expires = (now or datetime.now(timezone.utc)) + LIFETIME
    async with db.write() as conn:
        await sign_ins.insert_refresh(conn, digest(token), sign_ins.RefreshRow(client_id, user_id, scope, expires))
    return token

