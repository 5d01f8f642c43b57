"""Fixtures of the API tests beyond tests/conftest.py's."""

from __future__ import annotations

import pytest

from graphpost.store import directory as rows
from graphpost.store.database import Database


@pytest.fixture
async def tenant_id(db: Database) -> str:
    """The seeded store's one tenant."""
    async with db.read() as conn:
        return (await rows.list_tenants(conn))[0].id
