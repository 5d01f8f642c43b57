"""Upgrading a database that already holds mail: nothing is lost on the way."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa

from graphpost.store import migrate
from graphpost.store.database import Database
from graphpost.store.schema import attachments, folders, messages, tenants, users

AT = datetime(2026, 11, 1, 9, 30, tzinfo=timezone.utc)


async def _mail_at_0004(db: Database) -> None:
    async with db.write() as conn:
        await conn.execute(sa.insert(tenants).values(id="t" * 36, display_name="Contoso", created_at=AT))
        await conn.execute(sa.insert(users).values(
            id="u" * 36, tenant_id="t" * 36, user_principal_name="alice@contoso.test", upn_key="alice@contoso.test",
            mail="alice@contoso.test", mail_key="alice@contoso.test", display_name="Alice", created_at=AT))
        await conn.execute(sa.insert(folders).values(id="F1", user_id="u" * 36, parent_id="root", well_known="inbox",
                                                     display_name="Inbox", is_hidden=False, created_at=AT))
        for message_id in ("AAMkAM1", "AAMkAM2"):
            await conn.execute(sa.insert(messages).values(
                id=message_id, user_id="u" * 36, folder_id="F1", change_key="ck", created_at=AT, modified_at=AT,
                received_at=AT, sent_at=AT, subject="Kept", is_read=False, is_draft=False, importance="normal",
                has_attachments=True, internet_message_id="<1@contoso.test>", conversation_id="c",
                from_address=None, data={}))
            await conn.execute(sa.insert(attachments).values(
                id=f"A{message_id}", message_id=message_id, position=0, kind="reference", name="link", size=0,
                is_inline=False, modified_at=AT, data={"sourceUrl": "https://example.test/"}))


async def test_upgrading_a_sqlite_mailbox_keeps_messages_and_their_attachments(tmp_path: Path) -> None:
    # SQLite is where a migration could lose data: rebuilding `messages` would drop the old table,
    # and with foreign keys on that deletes every attachment in cascade.
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'graphpost.db'}")
    try:
        await migrate.upgrade(db, "0004")
        await _mail_at_0004(db)
        await migrate.upgrade(db)
        async with db.read() as conn:
            kept = (await conn.execute(sa.select(attachments.c.message_id).order_by(attachments.c.id))).all()
            ids = (await conn.execute(sa.select(messages.c.id, messages.c.immutable_id).order_by(messages.c.id))).all()
        assert [row.message_id for row in kept] == ["AAMkAM1", "AAMkAM2"]
        assert [tuple(row) for row in ids] == [("AAMkAM1", "AAkALgAAMkAM1"), ("AAMkAM2", "AAkALgAAMkAM2")]
        assert await migrate.current_revision(db) == (await _head(db))
    finally:
        await db.dispose()


async def _head(db: Database) -> str:
    from alembic.script import ScriptDirectory
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head
