"""`graphpost serve --tls` as a process: the API over HTTPS with a certificate from the local CA,
trusted by clients given the CA (as a file, or through SSL_CERT_FILE) and by nobody else; and the
same with a certificate and key of the operator's own.

The server with the local CA's certificate is the pytest plugin's (graphpost_server, the same a
project that installs graphpost gets); the tests that start serve with settings of their own start
their own process."""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from O365 import Account
from O365.connection import MSGraphProtocol
from O365.utils.token import MemoryTokenBackend

from graphpost import tls
from graphpost.pytest_plugin import GraphpostServer
from tests.e2e.server import ServerProcess, child_environment
from tests.tls.certificate_files import write_certificate_and_key

pytestmark = pytest.mark.e2e

ALICE = "alice@contoso.test"
REPO = Path(__file__).resolve().parents[2]
Token = Callable[..., str]


def _trusting(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def _me(url: str, token: str, verify: ssl.SSLContext | bool, host: str | None = None) -> httpx.Response:
    if host is not None:
        url = f"https://{host}:{_port(url)}"
    return httpx.get(url + "/v1.0/me", headers={"Authorization": f"Bearer {token}"}, verify=verify, timeout=30,
                     trust_env=False)


def test_serve_tls_answers_me_over_https_to_a_client_trusting_the_ca(graphpost_server: GraphpostServer,
                                                                     graphpost_token: Token) -> None:
    url, ca_file = graphpost_server.url, graphpost_server.ca_path
    assert ca_file == (graphpost_server.data_dir / "ca" / "ca.pem").resolve()
    assert url == f"https://127.0.0.1:{_port(url)}"
    answer = _me(url, graphpost_token(ALICE), _trusting(ca_file))
    assert answer.status_code == 200
    assert answer.json()["userPrincipalName"] == ALICE
    assert answer.json()["@odata.context"] == f"{url}/v1.0/$metadata#users/$entity"
    # The certificate also names localhost and ::1, what a client on this machine may call it.
    assert _me(url, graphpost_token(ALICE), _trusting(ca_file), "localhost").status_code == 200


def test_the_start_up_log_says_https_and_where_the_ca_is(graphpost_server: GraphpostServer) -> None:
    output, url = graphpost_server.output(), graphpost_server.url
    listening = re.search(r"^out\| graphpost listening on (\S+) \(Graph base URLs: (\S+) and /beta\)$", output,
                          re.MULTILINE)
    assert listening is not None, output
    assert listening.groups() == (url, url + "/v1.0")
    note = re.search(r"^out\| TLS certificate for (.+) from the local CA (\S+) "
                     r"\(clients trust it with SSL_CERT_FILE=(\S+); graphpost ca prints the path\)$", output,
                     re.MULTILINE)
    assert note is not None, output
    assert note.group(2) == note.group(3) == str(graphpost_server.ca_path)
    assert {"localhost", "127.0.0.1", "::1"} <= set(note.group(1).split(", "))
    assert graphpost_server.cli("ca").strip() == str(graphpost_server.ca_path)


def test_a_client_without_the_ca_refuses_the_server(graphpost_server: GraphpostServer, graphpost_token: Token) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _me(graphpost_server.url, graphpost_token(ALICE), True)


def test_a_client_trusting_another_ca_refuses_the_server(graphpost_server: GraphpostServer, graphpost_token: Token,
                                                         tmp_path: Path) -> None:
    stranger = tls.local_ca(tmp_path / "stranger")
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _me(graphpost_server.url, graphpost_token(ALICE), _trusting(stranger.cert_path))


def test_plain_http_is_not_answered_on_the_https_port(graphpost_server: GraphpostServer) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{_port(graphpost_server.url)}/v1.0/me", timeout=30, trust_env=False)


def _client_process(url: str, token: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.e2e.https_client", url], cwd=REPO,
                          env=child_environment({"GRAPHPOST_TEST_TOKEN": token, **env}),
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, check=False)


def test_ssl_cert_file_makes_httpx_and_msgraph_sdk_trust_the_server(graphpost_server: GraphpostServer,
                                                                    graphpost_token: Token) -> None:
    ca_file = graphpost_server.cli("ca").strip()
    done = _client_process(graphpost_server.url, graphpost_token(ALICE), {"SSL_CERT_FILE": ca_file})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"httpx_status": 200, "httpx_upn": ALICE, "sdk_upn": ALICE}


def test_without_ssl_cert_file_the_same_client_process_refuses_the_server(graphpost_server: GraphpostServer,
                                                                          graphpost_token: Token) -> None:
    done = _client_process(graphpost_server.url, graphpost_token(ALICE), {})
    assert done.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in done.stderr


def test_requests_ca_bundle_makes_o365_send_over_https(graphpost_server: GraphpostServer, graphpost_token: Token,
                                                       graphpost_user: Callable[..., str],
                                                       graphpost_mailbox: Callable[..., list[dict[str, object]]],
                                                       graphpost_env: dict[str, str]) -> None:
    # graphpost_env sets REQUESTS_CA_BUNDLE, which requests reads at each request, for a session
    # that verifies by default (and NO_PROXY, so that 127.0.0.1 is reached directly).
    assert graphpost_env["REQUESTS_CA_BUNDLE"] == str(graphpost_server.ca_path)
    recipient = graphpost_user()
    protocol = MSGraphProtocol()
    protocol.service_url = graphpost_server.url + "/v1.0/"
    account = Account(("graphpost-client-id", "unused-secret"), protocol=protocol,
                      token_backend=MemoryTokenBackend(), requests_delay=0, request_retries=0, timeout=60)
    account.con.session = account.con.get_session()
    account.con.update_session_auth_header(access_token=graphpost_token(ALICE))
    message = account.mailbox().new_message()
    message.to.add(recipient)
    message.subject = "Over HTTPS"
    assert message.send()
    assert [item["subject"] for item in graphpost_mailbox(recipient)] == ["Over HTTPS"]


def test_serve_with_a_certificate_and_key_of_ones_own(data_dir: Path, tmp_path: Path) -> None:
    own_ca = tls.local_ca(tmp_path / "company")
    cert_file, key_file = write_certificate_and_key(own_ca, tmp_path, ["127.0.0.1"])
    with ServerProcess(data_dir, serve_args=["--tls-cert", str(cert_file), "--tls-key", str(key_file)]) as server:
        assert server.base_url.startswith("https://")
        assert server.wait_for_output(rf"^TLS certificate {cert_file} \(given with tls_cert\)$") is not None
        answer = _me(server.base_url, server.token(ALICE), _trusting(own_ca.cert_path))
        assert answer.status_code == 200 and answer.json()["userPrincipalName"] == ALICE
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            _me(server.base_url, server.token(ALICE), True)
    # The local CA is not made when the operator brings a certificate.
    assert not (data_dir / "ca").exists()


def test_the_tls_setting_from_the_environment_turns_https_on(data_dir: Path) -> None:
    with ServerProcess(data_dir, env={"GRAPHPOST_TLS": "true"}) as server:
        assert server.base_url.startswith("https://")
        assert _me(server.base_url, server.token(ALICE), _trusting(data_dir / "ca" / "ca.pem")).status_code == 200


def _chromium_page(url: str, home: Path, profile: Path) -> tuple[str, str]:
    """The page headless Chromium shows for `url` and its log (where it names a refused
    certificate), its NSS trust store being `home`/.pki/nssdb."""
    done = subprocess.run([shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                           f"--user-data-dir={profile}", "--dump-dom", url],
                          env=child_environment({"HOME": str(home)}), capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    return done.stdout, done.stderr


@pytest.mark.skipif(not (shutil.which("chromium") and shutil.which("certutil")),
                    reason="needs Debian's chromium and certutil (libnss3-tools)")
def test_chromium_trusts_the_server_once_the_ca_is_in_its_trust_store(graphpost_server: GraphpostServer,
                                                                     tmp_path: Path) -> None:
    nssdb = tmp_path / "home" / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True, capture_output=True)
    url = f"https://localhost:{_port(graphpost_server.url)}/v1.0/me"
    page, log = _chromium_page(url, tmp_path / "home", tmp_path / "before")
    assert "ERR_CERT_AUTHORITY_INVALID" in log and "InvalidAuthenticationToken" not in page
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "graphpost",
                    "-i", str(graphpost_server.ca_path)], check=True, capture_output=True)
    # The API's own answer (no token: 401) shows that Chromium accepted the certificate.
    page, log = _chromium_page(url, tmp_path / "home", tmp_path / "after")
    assert "InvalidAuthenticationToken" in page and "ERR_CERT" not in log


def _s_client(server: GraphpostServer, *trust: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{_port(server.url)}", "-servername", "localhost",
                           "-verify_return_error", "-x509_strict", "-verify_hostname", "localhost", *trust],
                          input="", capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_s_client_verifies_the_server_strictly_with_the_ca_and_refuses_it_without(
        graphpost_server: GraphpostServer) -> None:
    trusted = _s_client(graphpost_server, "-CAfile", str(graphpost_server.ca_path))
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert "Verify return code: 0 (ok)" in trusted.stdout
    untrusted = _s_client(graphpost_server)
    assert untrusted.returncode != 0
    assert "unable to get local issuer certificate" in untrusted.stdout + untrusted.stderr
