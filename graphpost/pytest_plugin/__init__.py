"""graphpost's pytest plugin: a real `graphpost serve` for the tests of an application.

Registered through the `pytest11` entry point, so any project with graphpost installed has these
fixtures. Nothing starts until a test asks for one of them; the server then runs once for the
session (TLS on its own port, and the proxy for Graph's and Entra's real host names), over SQLite
in a temporary directory deleted at the end:

- graphpost_server: the running GraphpostServer (.url, .proxy_url, .ca_path, .data_dir, .cli(…)).
- graphpost_token(user=…, scopes=…) or graphpost_token(app=…): a bearer token.
- graphpost_app(permissions=…): a registered app (tenant_id, client_id, client_secret).
- graphpost_user(): a fresh user of its own, so that tests sharing the server do not share mailboxes.
- graphpost_mailbox(user, folder="inbox"): the messages a user has in a folder, read through Graph.
- graphpost_env: the proxy and CA variables set for the test (and undone after it), so that code
  calling https://graph.microsoft.com and https://login.microsoftonline.com reaches graphpost.

The server is shared by the session's tests: a test that counts what is in a mailbox should use a
user of its own (graphpost_user)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from graphpost.pytest_plugin.server import (
    App,
    GraphpostError,
    GraphpostServer,
    running_server,
)

__all__ = ["App", "GraphpostError", "GraphpostServer"]

DEFAULT_USER = "alice@contoso.test"
DEFAULT_DOMAIN = "contoso.test"   # the tenant a fresh store is seeded with
_apps = itertools.count(1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("graphpost_serve_args", type="args", default=[],
                  help="more flags for the `graphpost serve` of graphpost_server (e.g. --smtp-port 0)")


@pytest.fixture(scope="session")
def graphpost_server(pytestconfig: pytest.Config) -> Iterator[GraphpostServer]:
    """A real `graphpost serve` process for the test session, with TLS and the proxy."""
    try:
        with running_server(serve_args=pytestconfig.getini("graphpost_serve_args")) as server:
            yield server
    except GraphpostError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def graphpost_token(graphpost_server: GraphpostServer) -> Callable[..., str]:
    """graphpost_token(user="alice@contoso.test", scopes=None, *, app=None, cloud="global") -> str.

    A delegated token of `user` with `scopes` (default Mail.ReadWrite and Mail.Send), or with
    app= (a client id or what graphpost_app returned) an application token carrying the app's
    permissions; `cloud` (global, usgov, usgov-dod, china) sets whose Graph accepts it."""
    def token(user: str | None = None, scopes: Sequence[str] | None = None, *, app: str | App | None = None,
              cloud: str = "global") -> str:
        if user is None and app is None:
            user = DEFAULT_USER
        return graphpost_server.token(user, scopes, app=app, cloud=cloud)
    return token


@pytest.fixture
def graphpost_app(graphpost_server: GraphpostServer) -> Callable[..., App]:
    """graphpost_app(permissions=("Mail.Send",), name=None) -> App: a new app registration, with
    its tenant_id, client_id and client_secret as `graphpost app add` prints them."""
    def app(permissions: Sequence[str] = ("Mail.Send",), name: str | None = None) -> App:
        return graphpost_server.add_app(name or f"pytest-app-{next(_apps)}", permissions)
    return app


@pytest.fixture
def graphpost_user(graphpost_server: GraphpostServer) -> Callable[..., str]:
    """graphpost_user(name=None) -> str: a new user of the seeded tenant, with an empty mailbox;
    its user principal name."""
    def user(name: str | None = None) -> str:
        return graphpost_server.add_user(f"user-{uuid.uuid4().hex[:12]}@{DEFAULT_DOMAIN}", name)
    return user


@pytest.fixture
def graphpost_mailbox(graphpost_server: GraphpostServer) -> Callable[..., list[dict[str, Any]]]:
    """graphpost_mailbox(user, folder="inbox") -> list of Graph message resources (JSON), newest
    first: what `user` has in that folder (an id or a well-known name: inbox, sentitems, drafts…)."""
    def mailbox(user: str, folder: str = "inbox") -> list[dict[str, Any]]:
        return graphpost_server.messages(user, folder)
    return mailbox


@pytest.fixture
def graphpost_env(graphpost_server: GraphpostServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Sets HTTPS_PROXY (graphpost's proxy), SSL_CERT_FILE, REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE
    (its CA) and NO_PROXY (loopback) for the test, undone after it; returns those variables (for
    a subprocess's environment, say). Clients read them when they are made: make them in the test."""
    values = graphpost_server.environ()
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values
