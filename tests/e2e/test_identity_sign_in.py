"""MSAL's PublicClientApplication against a real `graphpost serve --tls`, configured only (the
authority, no instance discovery, the CA through REQUESTS_CA_BUNDLE): the authorization code flow
with PKCE, a browser's part played by httpx on graphpost's sign-in page; a refresh through
acquire_token_silent(force_refresh=True); and the device flow, its code approved on the
/devicelogin page while MSAL polls. Every token reads /me."""

from __future__ import annotations

import re
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import msal
import pytest

from tests.e2e.server import ServerProcess, graphpost_command, parse_field

pytestmark = pytest.mark.e2e

ALICE = "alice@contoso.test"
PASSWORD = "a long and secret pass phrase"
SCOPES = ["https://graph.microsoft.com/Mail.Send"]
REDIRECT = "http://localhost:8400/callback"  # nothing listens: the test reads the redirect itself


@pytest.fixture
def https_server(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerProcess]:
    with ServerProcess(data_dir, serve_args=["--tls"]) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(data_dir / "ca" / "ca.pem"))  # what MSAL's requests trusts
        done = subprocess.run(graphpost_command() + ["user", "passwd", ALICE, "--password-stdin"]
                              + running.store_args(), input=PASSWORD + "\n", env=running.env, text=True,
                              capture_output=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        yield running


@pytest.fixture
def browser(https_server: ServerProcess) -> Iterator[httpx.Client]:
    trust = ssl.create_default_context(cafile=str(https_server.data_dir / "ca" / "ca.pem"))
    with httpx.Client(verify=trust, timeout=30) as client:
        yield client


def public_app(server: ServerProcess) -> msal.PublicClientApplication:
    output = server.cli("app", "add", "desktop app", "--permission", "Mail.Send")
    tenant_id, client_id = parse_field(output, "tenant_id"), parse_field(output, "client_id")
    return msal.PublicClientApplication(client_id, authority=f"{server.base_url}/{tenant_id}",
                                        instance_discovery=False)


def page_token(page: httpx.Response) -> str:
    found = re.search(r'name="page_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def reads_me(browser: httpx.Client, server: ServerProcess, result: dict[str, Any]) -> None:
    assert "access_token" in result, result
    me = browser.get(server.base_url + "/v1.0/me", headers={"Authorization": f"Bearer {result['access_token']}"})
    assert me.status_code == 200, me.text
    assert me.json()["userPrincipalName"] == ALICE


def test_auth_code_flow_then_a_silent_refresh(https_server: ServerProcess, browser: httpx.Client) -> None:
    app = public_app(https_server)
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT, login_hint=ALICE)
    page = browser.get(flow["auth_uri"])
    assert page.status_code == 200 and 'value="alice@contoso.test"' in page.text
    answer = browser.post(str(page.url).split("?")[0], data={"page_token": page_token(page), "username": ALICE,
                                                            "password": PASSWORD, "action": "sign_in"})
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    auth_response = {name: values[0] for name, values in parse_qs(location.query).items()}
    result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    reads_me(browser, https_server, result)
    assert result["id_token_claims"]["preferred_username"] == ALICE  # MSAL checked its nonce too

    account = app.get_accounts(username=ALICE)[0]
    cached = app.acquire_token_silent(SCOPES, account)
    assert cached is not None and cached["token_source"] == "cache"
    refreshed = app.acquire_token_silent(SCOPES, account, force_refresh=True)
    assert refreshed is not None and refreshed["token_source"] == "identity_provider", refreshed
    assert refreshed["access_token"] != result["access_token"]
    reads_me(browser, https_server, refreshed)
    # Once more: the rotated refresh token MSAL cached is the one that works now.
    again = app.acquire_token_silent(SCOPES, account, force_refresh=True)
    assert again is not None and again["token_source"] == "identity_provider", again
    reads_me(browser, https_server, again)


def test_device_flow_approved_on_the_page_while_msal_polls(https_server: ServerProcess,
                                                           browser: httpx.Client) -> None:
    app = public_app(https_server)
    flow = app.initiate_device_flow(SCOPES)
    assert flow["verification_uri"] == f"{https_server.base_url}/devicelogin", flow
    results: list[dict[str, Any]] = []
    polling = threading.Thread(target=lambda: results.append(app.acquire_token_by_device_flow(flow)), daemon=True)
    polling.start()
    page = browser.get(flow["verification_uri"])
    signed = browser.post(flow["verification_uri"], data={
        "page_token": page_token(page), "user_code": flow["user_code"], "username": ALICE, "password": PASSWORD,
        "action": "sign_in"})
    assert "You have signed in" in signed.text, signed.text
    polling.join(timeout=120)
    assert results, "MSAL's device flow did not finish"
    reads_me(browser, https_server, results[0])
    refreshed = app.acquire_token_silent(SCOPES, app.get_accounts(username=ALICE)[0], force_refresh=True)
    assert refreshed is not None and refreshed["token_source"] == "identity_provider", refreshed
    reads_me(browser, https_server, refreshed)
