"""End-to-end fixtures: a real `graphpost serve` process and the Microsoft Graph SDKs pointed at it.

The SDK clients are built the way the shared reference says a user would: the SDK's own
`GraphRequestAdapter` (which rewrites `/users/me-token-to-replace` to `/me`) over a bearer-token
provider, with only the base URL changed. Tests thus exercise the requests the real SDKs send."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, AsyncIterator, Iterator, TypeVar

import httpx
import pytest
from kiota_abstractions.authentication import (AccessTokenProvider, AllowedHostsValidator,
                                               BaseBearerTokenAuthenticationProvider)
from kiota_abstractions.request_adapter import RequestAdapter
from msgraph import GraphServiceClient
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph_beta import GraphServiceClient as BetaGraphServiceClient
from msgraph_beta.graph_request_adapter import GraphRequestAdapter as BetaGraphRequestAdapter

from graphpost.config import Settings
from graphpost.store.database import Database
from tests import backends
from tests.e2e.server import ServerProcess

LOCAL_HOSTS = ["127.0.0.1"]
Client = TypeVar("Client", GraphServiceClient, BetaGraphServiceClient)


class StaticTokenProvider(AccessTokenProvider):
    """Hands the SDK a token minted by `graphpost token` (there is no Entra ID to ask)."""

    def __init__(self, token: str, hosts: list[str] | None = None) -> None:
        self.token = token
        self.validator = AllowedHostsValidator(hosts or LOCAL_HOSTS)

    async def get_authorization_token(self, uri: str,
                                      additional_authentication_context: dict[str, Any] | None = None) -> str:
        # The base provider sends no Authorization header for hosts the validator rejects.
        return self.token if self.validator.is_url_host_valid(uri) else ""

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self.validator


def _auth(token: str) -> BaseBearerTokenAuthenticationProvider:
    return BaseBearerTokenAuthenticationProvider(StaticTokenProvider(token))


def graph_client(server: ServerProcess, token: str) -> GraphServiceClient:
    """msgraph-sdk (v1.0) against the server. Call inside the running event loop: the adapter's
    httpx client binds to it."""
    adapter = GraphRequestAdapter(_auth(token))
    adapter.base_url = server.base_url + "/v1.0"
    return GraphServiceClient(request_adapter=adapter)


def beta_client(server: ServerProcess, token: str) -> BetaGraphServiceClient:
    """msgraph-beta-sdk (/beta) against the server; note `client.me()` is a method there."""
    adapter = BetaGraphRequestAdapter(_auth(token))
    adapter.base_url = server.base_url + "/beta"
    return BetaGraphServiceClient(request_adapter=adapter)


class SdkClients:
    """Builds SDK clients for one test and closes their HTTP connections when it ends, so that no
    socket outlives the test's event loop."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self._adapters: list[RequestAdapter] = []

    def v1(self, token: str) -> GraphServiceClient:
        return self._track(graph_client(self.server, token))

    def beta(self, token: str) -> BetaGraphServiceClient:
        return self._track(beta_client(self.server, token))

    def _track(self, client: Client) -> Client:
        self._adapters.append(client.request_adapter)
        return client

    async def aclose(self) -> None:
        for adapter in self._adapters:
            http: httpx.AsyncClient | None = getattr(adapter, "_http_client", None)
            if http is not None:
                await close_sdk_http_client(http)


async def close_sdk_http_client(http: httpx.AsyncClient) -> None:
    """Close an SDK's httpx client and its connection pool. msgraph-core wraps the client's
    transport in an `AsyncGraphTransport` whose `aclose` does not close the transport it wraps, so
    `http.aclose()` alone leaves pooled sockets open (ResourceWarning: unclosed transport)."""
    await http.aclose()
    wrapped = getattr(getattr(http, "_transport", None), "transport", None)
    if isinstance(wrapped, httpx.AsyncBaseTransport):
        await wrapped.aclose()


@pytest.fixture
def server_on_each_backend(request: pytest.FixtureRequest, backend: str, data_dir: Path) -> Iterator[ServerProcess]:
    """A running server over SQLite, or over the test run's PostgreSQL database (emptied first, so
    that the server seeds it as on a first start). Tests using it run once per backend."""
    with ServerProcess(data_dir, backend_url(request, backend)) as running:
        yield running


def backend_url(request: pytest.FixtureRequest, backend: str) -> str | None:
    """The database URL a server over `backend` is given: None for SQLite in its data dir, or the
    test run's PostgreSQL database, emptied so that the server seeds it as on a first start."""
    if backend != "postgresql":
        return None
    run = request.getfixturevalue("postgres_run")
    if run is None:
        pytest.skip(f"PostgreSQL unreachable at {backends.pg_admin_url()}")
    asyncio.run(_emptied(run.plain_url))
    return run.plain_url


async def _emptied(url: str) -> None:
    db = Database(Settings(database_url=url).sqlalchemy_url)
    try:
        await backends.empty_postgres(db)
    finally:
        await db.dispose()


@pytest.fixture
def server(data_dir: Path) -> Iterator[ServerProcess]:
    """A running server over SQLite in the test's data directory (default database location,
    seeded with contoso.test, alice and bob on first start). `data_dir` already holds the
    session's signing key, which saves generating one per test."""
    with ServerProcess(data_dir) as running:
        yield running


@pytest.fixture
async def sdk(server: ServerProcess) -> AsyncIterator[SdkClients]:
    clients = SdkClients(server)
    yield clients
    await clients.aclose()


@pytest.fixture
async def http(server: ServerProcess) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client on the server's root URL, for checks below the SDKs' abstractions."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=10.0) as client:
        yield client
