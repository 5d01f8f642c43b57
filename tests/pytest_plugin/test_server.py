"""GraphpostServer, the process behind the plugin's fixtures: here through the project's own test
session, which has the plugin from its entry point like any project that installs graphpost."""

from __future__ import annotations

import os
import signal
import ssl
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from graphpost.pytest_plugin import GraphpostError, GraphpostServer

pytestmark = pytest.mark.e2e


def test_set_environ_sets_the_proxy_and_ca_and_restores_what_was_there(graphpost_server: GraphpostServer,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://corporate.example:3128")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with graphpost_server.set_environ():
        assert os.environ["HTTPS_PROXY"] == graphpost_server.proxy_url
        assert os.environ["SSL_CERT_FILE"] == str(graphpost_server.ca_path)
    assert os.environ["HTTPS_PROXY"] == "http://corporate.example:3128"
    assert "SSL_CERT_FILE" not in os.environ


def test_the_url_serves_tls_from_the_ca_it_names(graphpost_server: GraphpostServer) -> None:
    context = ssl.create_default_context(cafile=graphpost_server.ca_path)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(graphpost_server.url + "/v1.0/me", timeout=30)
    assert refused.value.code == 401     # graphpost's answer, over a verified TLS connection
    assert graphpost_server.ca_path == graphpost_server.data_dir / "ca" / "ca.pem"


def test_a_token_is_minted_once_and_reused_for_the_same_request(graphpost_server: GraphpostServer) -> None:
    token = graphpost_server.token("bob@contoso.test", ["Mail.Read"])
    assert graphpost_server.token("bob@contoso.test", ["Mail.Read"]) == token
    assert graphpost_server.token("bob@contoso.test", ["Mail.Send"]) != token
    assert graphpost_server.graph_get("/v1.0/me", token)["userPrincipalName"] == "bob@contoso.test"


def test_a_token_is_for_a_user_or_an_app(graphpost_server: GraphpostServer) -> None:
    with pytest.raises(ValueError, match="a user or an app"):
        graphpost_server.token("bob@contoso.test", app="00000000-0000-0000-0000-000000000000")
    with pytest.raises(GraphpostError, match="graphpost token --user nobody@contoso.test"):
        graphpost_server.token("nobody@contoso.test")


def test_a_server_without_tls_or_proxy_has_neither_proxy_nor_ca(tmp_path: Path) -> None:
    with GraphpostServer(tmp_path, tls=False, proxy=False) as server:
        assert server.url.startswith("http://127.0.0.1:")
        token = server.token("alice@contoso.test")
        assert server.graph_get("/v1.0/me", token)["userPrincipalName"] == "alice@contoso.test"
        with pytest.raises(GraphpostError, match="runs no proxy"):
            _ = server.proxy_url
        with pytest.raises(GraphpostError, match="no CA to trust"):
            _ = server.ca_path
    # A clean stop: uvicorn re-raises SIGTERM once it has shut down.
    assert server.process is not None and server.process.returncode in (0, -signal.SIGTERM)
    assert "graphpost stopped" in server.output() and "Traceback" not in server.output()
