"""Mailboxes of the seeded users, as the API tests use them (delegated tokens). A module that
needs another view (an app token, several versions) defines its own fixture of the same name."""

from __future__ import annotations

import httpx
import pytest

from graphpost.directory import service as directory
from graphpost.store.database import Database
from tests.api.mail_helpers import ALICE, BOB, CAROL, Mailbox, delegated
from tests.tokens import TokenMint


@pytest.fixture
async def alice(client: httpx.AsyncClient, tokens: TokenMint) -> Mailbox:
    return await delegated(client, tokens, ALICE)


@pytest.fixture
async def bob(client: httpx.AsyncClient, tokens: TokenMint) -> Mailbox:
    return await delegated(client, tokens, BOB)


@pytest.fixture
async def carol(client: httpx.AsyncClient, tokens: TokenMint, db: Database) -> Mailbox:
    await directory.add_user(db, CAROL, None)
    return await delegated(client, tokens, CAROL)
