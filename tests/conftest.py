"""Fixtures shared by every test: a backend (SQLite and PostgreSQL), settings, a seeded store,
the in-process app with an httpx client, and tokens."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import AsyncIterator, Iterator

import httpx
import pytest

from graphpost.auth import keys
from graphpost.directory import service as directory
from graphpost.config import Settings
from graphpost.store.database import Database
from tests import backends
from tests.api.mail_helpers import ALICE, BOB, CAROL, Mailbox, delegated
from tests.notifications.receiver import WebhookReceiver
from tests.tokens import TokenMint

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One RSA key for the run: generating one per test would cost more than most tests.
    directory = tmp_path_factory.mktemp("key")
    keys.load_or_create(directory)
    return directory / keys.KEY_FILE


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return backends.make_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_run() -> Iterator[backends.PostgresRun | None]:
    run = backends.start_postgres_run()
    yield run
    if run is not None:
        run.drop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def data_dir(tmp_path: Path, signing_key_file: Path) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    shutil.copyfile(signing_key_file, directory / keys.KEY_FILE)
    return directory


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        return backends.sqlite_copy(request.getfixturevalue("sqlite_template"), tmp_path)
    run = request.getfixturevalue("postgres_run")
    if run is None:
        pytest.skip(f"PostgreSQL unreachable at {backends.pg_admin_url()}")
    return run.plain_url


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> Settings:
    return Settings(data_dir=data_dir, database_url=database_url)


@pytest.fixture
async def second_db(settings: Settings, db: Database) -> AsyncIterator[Database]:
    """Another process's view of the same database: its own engine and connections."""
    other = Database(settings.sqlalchemy_url)
    yield other
    await other.dispose()


@pytest.fixture
async def db(settings: Settings, backend: str) -> AsyncIterator[Database]:
    from graphpost.startup import prepare_store
    if backend == "postgresql":
        scratch = Database(settings.sqlalchemy_url)
        await backends.empty_postgres(scratch)
        await scratch.dispose()
    database = await prepare_store(settings)
    yield database
    await database.dispose()


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    from graphpost.api.app import create_app
    app = create_app(settings, db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://graph.test") as http:
        yield http


@pytest.fixture
def tokens(settings: Settings, db: Database) -> TokenMint:
    return TokenMint(settings, db)


# Mailboxes of the seeded users with delegated tokens, as the API, delivery and inbound tests use
# them. A module that needs another view (an app token, several versions) defines its own.
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


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    """A webhook receiver on a free port that answers validations and records notifications."""
    with WebhookReceiver() as receiver:
        yield receiver
