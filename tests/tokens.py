"""Minting tokens in tests, the way `graphpost token` does."""

from __future__ import annotations

from datetime import timedelta

from graphpost.auth import keys, tokens
from graphpost.config import Settings
from graphpost.directory import service as directory
from graphpost.store import directory as rows
from graphpost.store.database import Database


class TokenMint:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.key = keys.load_or_create(settings.data_dir)
        self.db = db

    async def user(self, upn: str = "alice@contoso.test", scopes: tuple[str, ...] = ("Mail.ReadWrite", "Mail.Send"),
                   lifetime: timedelta = timedelta(hours=1), audience: str = tokens.GRAPH_AUDIENCE) -> str:
        async with self.db.read() as conn:
            found = await rows.user_by_upn(conn, upn)
        assert found is not None, upn
        subject = tokens.DelegatedSubject(found.tenant_id, found.id, found.user_principal_name, found.display_name)
        return tokens.issue_delegated(self.key, subject, list(scopes), lifetime, audience=audience)

    async def app(self, permissions: tuple[str, ...] = ("Mail.Send", "Mail.ReadWrite"),
                  domain: str | None = None) -> str:
        created = await directory.add_app(self.db, "test app", list(permissions), domain)
        return tokens.issue_application(self.key, created.app.tenant_id, created.app.client_id,
                                        list(created.app.permissions), timedelta(hours=1))

    async def header(self, upn: str = "alice@contoso.test", **kwargs: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.user(upn, **kwargs)}"}  # type: ignore[arg-type]
