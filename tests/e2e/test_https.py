"""`graphpost serve --tls` as a process: the API over HTTPS with a certificate from the local CA,
trusted by clients given the CA (as a file, or through SSL_CERT_FILE) and by nobody else; and the
same with a certificate and key of the operator's own."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from graphpost import tls
from tests.e2e.o365_client import o365_account
from tests.e2e.server import ServerProcess, child_environment
from tests.tls.certificate_files import write_certificate_and_key

pytestmark = pytest.mark.e2e

ALICE = "alice@contoso.test"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def https_server(data_dir: Path) -> Iterator[ServerProcess]:
    with ServerProcess(data_dir, serve_args=["--tls"]) as running:
        yield running


def _trusting(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


def _me(server: ServerProcess, verify: ssl.SSLContext | bool, host: str | None = None) -> httpx.Response:
    url = server.base_url if host is None else f"https://{host}:{server.port}"
    return httpx.get(url + "/v1.0/me", headers={"Authorization": f"Bearer {server.token(ALICE)}"}, verify=verify,
                     timeout=30)


def test_serve_tls_answers_me_over_https_to_a_client_trusting_the_ca(https_server: ServerProcess) -> None:
    ca_file = (https_server.data_dir / "ca" / "ca.pem").resolve()
    assert https_server.base_url == f"https://127.0.0.1:{https_server.port}"
    answer = _me(https_server, _trusting(ca_file))
    assert answer.status_code == 200
    assert answer.json()["userPrincipalName"] == ALICE
    assert answer.json()["@odata.context"] == f"{https_server.base_url}/v1.0/$metadata#users/$entity"
    # The certificate also names localhost and ::1, what a client on this machine may call it.
    assert _me(https_server, _trusting(ca_file), "localhost").status_code == 200


def test_the_start_up_log_says_https_and_where_the_ca_is(https_server: ServerProcess) -> None:
    ca_file = (https_server.data_dir / "ca" / "ca.pem").resolve()
    listening = https_server.wait_for_output(r"^graphpost listening on (\S+) \(Graph base URLs: (\S+) and /beta\)$")
    assert listening is not None, https_server.output()
    assert listening.groups() == (https_server.base_url, https_server.base_url + "/v1.0")
    note = https_server.wait_for_output(r"^TLS certificate for (.+) from the local CA (\S+) "
                                        r"\(clients trust it with SSL_CERT_FILE=(\S+); graphpost ca prints the path\)$")
    assert note is not None, https_server.output()
    assert note.group(2) == note.group(3) == str(ca_file)
    assert {"localhost", "127.0.0.1", "::1"} <= set(note.group(1).split(", "))
    assert https_server.cli("ca").strip() == str(ca_file)


def test_a_client_without_the_ca_refuses_the_server(https_server: ServerProcess) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _me(https_server, True)


def test_a_client_trusting_another_ca_refuses_the_server(https_server: ServerProcess, tmp_path: Path) -> None:
    stranger = tls.local_ca(tmp_path / "stranger")
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _me(https_server, _trusting(stranger.cert_path))


def test_plain_http_is_not_answered_on_the_https_port(https_server: ServerProcess) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{https_server.port}/v1.0/me", timeout=30)


def _client_process(server: ServerProcess, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.e2e.https_client", server.base_url], cwd=REPO,
                          env=child_environment({"GRAPHPOST_TEST_TOKEN": server.token(ALICE), **env}),
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_ssl_cert_file_makes_httpx_and_msgraph_sdk_trust_the_server(https_server: ServerProcess) -> None:
    ca_file = https_server.cli("ca").strip()
    done = _client_process(https_server, {"SSL_CERT_FILE": ca_file})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"httpx_status": 200, "httpx_upn": ALICE, "sdk_upn": ALICE}


def test_without_ssl_cert_file_the_same_client_process_refuses_the_server(https_server: ServerProcess) -> None:
    done = _client_process(https_server, {})
    assert done.returncode != 0
    assert "CERTIFICATE_VERIFY_FAILED" in done.stderr


def test_requests_ca_bundle_makes_o365_send_over_https(https_server: ServerProcess,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # requests reads REQUESTS_CA_BUNDLE at each request, for a session that verifies by default.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", https_server.cli("ca").strip())
    message = o365_account(https_server, ALICE).mailbox().new_message()
    message.to.add("bob@contoso.test")
    message.subject = "Over HTTPS"
    assert message.send()
    inbox = httpx.get(https_server.base_url + "/v1.0/me/mailFolders/inbox/messages",
                      headers={"Authorization": f"Bearer {https_server.token('bob@contoso.test')}"},
                      verify=_trusting(https_server.data_dir / "ca" / "ca.pem"), timeout=30).json()["value"]
    assert [item["subject"] for item in inbox] == ["Over HTTPS"]


def test_serve_with_a_certificate_and_key_of_ones_own(data_dir: Path, tmp_path: Path) -> None:
    own_ca = tls.local_ca(tmp_path / "company")
    cert_file, key_file = write_certificate_and_key(own_ca, tmp_path, ["127.0.0.1"])
    with ServerProcess(data_dir, serve_args=["--tls-cert", str(cert_file), "--tls-key", str(key_file)]) as server:
        assert server.base_url.startswith("https://")
        assert server.wait_for_output(rf"^TLS certificate {cert_file} \(given with tls_cert\)$") is not None
        answer = _me(server, _trusting(own_ca.cert_path))
        assert answer.status_code == 200 and answer.json()["userPrincipalName"] == ALICE
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            _me(server, True)
    # The local CA is not made when the operator brings a certificate.
    assert not (data_dir / "ca").exists()


def test_the_tls_setting_from_the_environment_turns_https_on(data_dir: Path) -> None:
    with ServerProcess(data_dir, env={"GRAPHPOST_TLS": "true"}) as server:
        assert server.base_url.startswith("https://")
        assert _me(server, _trusting(data_dir / "ca" / "ca.pem")).status_code == 200


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
def test_chromium_trusts_the_server_once_the_ca_is_in_its_trust_store(https_server: ServerProcess,
                                                                     tmp_path: Path) -> None:
    nssdb = tmp_path / "home" / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True, capture_output=True)
    url = f"https://localhost:{https_server.port}/v1.0/me"
    page, log = _chromium_page(url, tmp_path / "home", tmp_path / "before")
    assert "ERR_CERT_AUTHORITY_INVALID" in log and "InvalidAuthenticationToken" not in page
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "graphpost",
                    "-i", str(https_server.data_dir / "ca" / "ca.pem")], check=True, capture_output=True)
    # The API's own answer (no token: 401) shows that Chromium accepted the certificate.
    page, log = _chromium_page(url, tmp_path / "home", tmp_path / "after")
    assert "InvalidAuthenticationToken" in page and "ERR_CERT" not in log


def _s_client(server: ServerProcess, *trust: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{server.port}", "-servername", "localhost",
                           "-verify_return_error", "-x509_strict", "-verify_hostname", "localhost", *trust],
                          input="", capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_openssl_s_client_verifies_the_server_strictly_with_the_ca_and_refuses_it_without(
        https_server: ServerProcess) -> None:
    trusted = _s_client(https_server, "-CAfile", str(https_server.data_dir / "ca" / "ca.pem"))
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert "Verify return code: 0 (ok)" in trusted.stdout
    untrusted = _s_client(https_server)
    assert untrusted.returncode != 0
    assert "unable to get local issuer certificate" in untrusted.stdout + untrusted.stderr
