"""MSAL's PublicClientApplication against a real `graphpost serve --tls`, configured only (the
authority, no instance discovery, the CA through REQUESTS_CA_BUNDLE): the authorization code flow
with PKCE, a browser's part played by httpx on graphpost's sign-in page; a refresh through
acquire_token_silent(force_refresh=True); the device flow, its code approved on the /devicelogin
page while MSAL polls, and by azure-identity's DeviceCodeCredential; and the sign-in driven in
headless Chromium. Every token reads /me."""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import msal
import pytest
from azure.identity import DeviceCodeCredential

from tests.e2e.cdp_pipe import Chromium
from tests.e2e.server import ServerProcess, parse_field

pytestmark = pytest.mark.e2e

ALICE = "alice@contoso.test"
PASSWORD = "a long and secret pass phrase"
SCOPES = ["https://graph.microsoft.com/Mail.Send"]
REDIRECT = "http://localhost:8400/callback"  # nothing listens: the test reads the redirect itself


@pytest.fixture
def https_server(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerProcess]:
    with ServerProcess(data_dir, serve_args=["--tls"]) as running:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(data_dir / "ca" / "ca.pem"))  # what MSAL's requests trusts
        done = running.run_cli("user", "passwd", ALICE, "--password-stdin", stdin=PASSWORD + "\n")
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


class Callback:
    """The app's loopback redirect URI, as acquire_token_interactive listens on one: it keeps the
    query of the request it gets."""

    def __init__(self) -> None:
        self.query: dict[str, str] = {}
        self.method = ""
        self.arrived = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                outer.query = {name: values[0] for name, values in parse_qs(urlsplit(self.path).query).items()}
                outer.method = "GET"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"signed in")
                outer.arrived.set()

            def do_POST(self) -> None:  # noqa: N802 - response_mode=form_post, as acquire_token_interactive asks
                length = min(int(self.headers.get("Content-Length", "0")), 64 * 1024)
                body = self.rfile.read(length).decode()
                outer.query = {name: values[0] for name, values in parse_qs(body).items()}
                outer.method = "POST"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"signed in")
                outer.arrived.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_port}/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("certutil")),
                    reason="needs Debian's chromium and certutil (libnss3-tools)")
@pytest.mark.parametrize("response_mode", ["query", "form_post"])
def test_headless_chromium_signs_in_on_the_page(https_server: ServerProcess, browser: httpx.Client,
                                                tmp_path: Path, response_mode: str) -> None:
    # Chromium trusts graphpost's CA through its NSS store, as a user's browser would.
    nssdb = tmp_path / "home" / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True, capture_output=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "graphpost",
                    "-i", str(https_server.data_dir / "ca" / "ca.pem")], check=True, capture_output=True)
    app = public_app(https_server)
    callback = Callback()
    chromium = Chromium(tmp_path / "home", tmp_path / "profile")
    try:
        flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=callback.uri, login_hint=ALICE,
                                           response_mode=response_mode)
        target = chromium.send("Target.createTarget", {"url": flow["auth_uri"]})["targetId"]
        session = chromium.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        form_ready = "document.readyState === 'complete' && !!document.getElementById('password')"
        for _ in range(2000):  # a bound, not a timing: each round trip waits for Chromium's answer
            if chromium.evaluate(session, form_ready):
                break
        else:
            pytest.fail("the sign-in page never showed its form: " + str(chromium.evaluate(session, "document.title")))
        assert chromium.evaluate(session, "document.getElementById('username').value") == ALICE
        chromium.evaluate(session, f"document.getElementById('password').value = {json.dumps(PASSWORD)};"
                                   "document.querySelector('button[value=sign_in]').click(); true")
        assert callback.arrived.wait(60), "the redirect never reached the app's redirect URI"
    finally:
        chromium.close()
        callback.close()
    # form_post's page posted by itself: its one script ran under the page's Content-Security-Policy.
    assert callback.method == ("POST" if response_mode == "form_post" else "GET")
    result = app.acquire_token_by_auth_code_flow(flow, callback.query)
    reads_me(browser, https_server, result)


def test_azure_identity_device_code_credential(https_server: ServerProcess, browser: httpx.Client) -> None:
    output = https_server.cli("app", "add", "cli tool", "--permission", "Mail.Send")
    tenant_id, client_id = parse_field(output, "tenant_id"), parse_field(output, "client_id")
    shown: list[str] = []

    def approve(verification_uri: str, user_code: str, expires_on: datetime) -> None:
        # What the user does with what the credential shows: open the page, type the code, sign in.
        shown.append(verification_uri)
        page = browser.get(verification_uri)
        signed = browser.post(verification_uri, data={"page_token": page_token(page), "user_code": user_code,
                                                      "username": ALICE, "password": PASSWORD})
        assert "You have signed in" in signed.text, signed.text

    credential = DeviceCodeCredential(client_id, tenant_id=tenant_id, authority=https_server.base_url,
                                      disable_instance_discovery=True, prompt_callback=approve)
    token = credential.get_token(SCOPES[0])
    assert shown == [f"{https_server.base_url}/devicelogin"]
    reads_me(browser, https_server, {"access_token": token.token})
