"""`graphpost serve --proxy-port 0`, end to end: clients that believe they talk to Graph's real
host names (https://graph.microsoft.com and the national clouds' hosts) reach graphpost through
its proxy, trusting its local CA; every other destination is refused. Nothing here leaves
127.0.0.1: the proxy is the only address the clients connect to."""

from __future__ import annotations

import base64
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from graphpost.auth import clouds, keys
from tests.e2e.proxied import ALICE, BOB, SOCKET_TIMEOUT, Proxied
from tests.e2e.server import ServerProcess, child_environment

# The module's tests share one server (xdist_group: on one worker of a parallel run, so it starts once).
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e-proxy")]

# A short head timeout, so that the slow client's test waits for the drop only briefly.
PROXY_ENV = {"GRAPHPOST_PROXY_HEAD_TIMEOUT": "2s"}


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory, signing_key_file: Path) -> Iterator[ServerProcess]:
    """One proxy for the tests that read, tunnel and refuse: a process start per test would cost
    more than most of them. A test that counts a mailbox's messages, or needs settings of its own,
    starts a server of its own."""
    data_dir = tmp_path_factory.mktemp("proxy-data")
    shutil.copyfile(signing_key_file, data_dir / keys.KEY_FILE)
    try:
        with ServerProcess(data_dir, serve_args=["--proxy-port", "0"], env=PROXY_ENV) as server:
            yield server
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def proxied(shared_server: ServerProcess) -> Proxied:
    assert shared_server.running, f"the shared server is gone; its output:\n{shared_server.output()}"
    return Proxied(shared_server)


@pytest.fixture
def own_proxied(data_dir: Path) -> Iterator[Proxied]:
    """A server of the test's own, over a fresh store."""
    with ServerProcess(data_dir, serve_args=["--proxy-port", "0"], env=PROXY_ENV) as server:
        yield Proxied(server)


def read_all(sock: socket.socket) -> bytes:
    """Everything the proxy sends until it closes the connection."""
    chunks = []
    with sock:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def refusal(status: str, message: str) -> bytes:
    body = (message + "\n").encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
            f"Connection: close\r\n\r\n").encode() + body


ONLY = "graphpost's proxy only tunnels (CONNECT) to Graph's and Entra's hosts on port 443"


@pytest.mark.parametrize("cloud", clouds.CLOUDS, ids=lambda cloud: cloud.name)
def test_me_through_the_proxy_on_each_clouds_graph_host(proxied: Proxied, cloud: clouds.Cloud) -> None:
    with proxied.client() as http:
        response = http.get(f"{cloud.graph_url}/v1.0/me",
                            headers={"Authorization": f"Bearer {proxied.token(cloud=cloud)}"})
    assert response.status_code == 200, response.text
    assert response.json()["@odata.context"] == f"{cloud.graph_url}/v1.0/$metadata#users/$entity"
    assert response.json()["userPrincipalName"] == ALICE


def test_next_link_names_the_host_the_client_asked_for(proxied: Proxied) -> None:
    token = proxied.token()
    headers = {"Authorization": f"Bearer {token}"}
    with proxied.client() as http:
        for subject in ("one", "two"):
            sent = http.post("https://graph.microsoft.com/v1.0/me/sendMail", headers=headers, json={
                "message": {"subject": subject, "toRecipients": [{"emailAddress": {"address": ALICE}}]}})
            assert sent.status_code == 202, sent.text
        page = http.get("https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages?$top=1", headers=headers)
    assert page.status_code == 200
    assert page.json()["@odata.nextLink"].startswith("https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages?")


def test_megabytes_cross_the_tunnel_both_ways_intact(proxied: Proxied) -> None:
    content = bytes(range(256)) * (2 * 1024 * 1024 // 256)     # 2 MiB, every byte value
    headers = {"Authorization": f"Bearer {proxied.token()}"}
    with proxied.client() as http:
        draft = http.post("https://graph.microsoft.com/v1.0/me/messages", headers=headers,
                          json={"subject": "big", "attachments": [{
                              "@odata.type": "#microsoft.graph.fileAttachment", "name": "big.bin",
                              "contentBytes": base64.b64encode(content).decode()}]})
        assert draft.status_code == 201, draft.text
        attachments = http.get(f"https://graph.microsoft.com/v1.0/me/messages/{draft.json()['id']}/attachments",
                               headers=headers).json()["value"]
        raw = http.get(f"https://graph.microsoft.com/v1.0/me/messages/{draft.json()['id']}/attachments/"
                       f"{attachments[0]['id']}/$value", headers=headers)
    assert raw.status_code == 200 and raw.content == content


def test_a_token_of_another_cloud_is_refused_through_the_proxy(proxied: Proxied) -> None:
    with proxied.client() as http:
        response = http.get("https://graph.microsoft.us/v1.0/me",
                            headers={"Authorization": f"Bearer {proxied.token(cloud=clouds.GLOBAL)}"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert response.json()["error"]["message"] == "Invalid audience."


@pytest.mark.parametrize("host", sorted(clouds.LOGIN_HOSTS))
def test_sign_in_hosts_are_answered_by_graphpost(proxied: Proxied, host: str) -> None:
    with proxied.client() as http:
        response = http.get(f"https://{host}/common/v2.0/.well-known/openid-configuration")
    # graphpost's own answer (every answer of its app carries a request-id), whatever the route.
    assert response.headers.get("request-id")


def test_connect_to_another_host_is_refused(proxied: Proxied) -> None:
    mark = proxied.server.log_mark()   # the shared server's log holds other tests' refusals too
    answer = read_all(proxied.raw(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"))
    assert answer == refusal("403 Forbidden", f"CONNECT to example.com refused: {ONLY}")
    assert proxied.server.wait_for_output(r"WARNING graphpost\.proxy: proxy refused 127\.0\.0\.1:\d+: 403 "
                                          r"CONNECT to example\.com refused", since=mark)


def test_connect_to_graph_on_another_port_is_refused(proxied: Proxied) -> None:
    answer = read_all(proxied.raw(b"CONNECT graph.microsoft.com:80 HTTP/1.1\r\n\r\n"))
    assert answer == refusal("403 Forbidden", f"CONNECT to graph.microsoft.com:80 refused: {ONLY}")


def test_a_plain_proxy_request_is_refused(proxied: Proxied) -> None:
    answer = read_all(proxied.raw(b"GET http://graph.microsoft.com/v1.0/me HTTP/1.1\r\n"
                                  b"Host: graph.microsoft.com\r\n\r\n"))
    assert answer == refusal("403 Forbidden", f"GET http://graph.microsoft.com/v1.0/me refused: {ONLY}")


def test_httpx_sees_the_refusal_as_a_proxy_error(proxied: Proxied) -> None:
    with proxied.client() as http, pytest.raises(httpx.ProxyError, match="403"):
        http.get("https://example.com/")


def test_a_head_larger_than_the_bound_is_refused(proxied: Proxied) -> None:
    answer = read_all(proxied.raw(b"CONNECT graph.microsoft.com:443 HTTP/1.1\r\nX-Pad: " + b"a" * 9000))
    assert answer == refusal("431 Request Header Fields Too Large", "the request head is larger than 8192 bytes")


def test_bytes_sent_before_the_tunnel_is_established_are_refused(proxied: Proxied) -> None:
    answer = read_all(proxied.raw(b"CONNECT graph.microsoft.com:443 HTTP/1.1\r\n\r\n\x16\x03\x01"))
    assert answer == refusal("400 Bad Request", "data was sent before the tunnel was established")


def test_a_client_that_does_not_trust_the_ca_fails_its_handshake_and_others_are_served(proxied: Proxied) -> None:
    with (httpx.Client(proxy=proxied.url, trust_env=False, timeout=SOCKET_TIMEOUT) as untrusting,
          pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED")):
        untrusting.get("https://graph.microsoft.com/v1.0/me")
    with proxied.client() as http:
        assert http.get("https://graph.microsoft.com/v1.0/me",
                        headers={"Authorization": f"Bearer {proxied.token()}"}).status_code == 200


def test_a_client_that_never_finishes_its_connect_is_dropped_while_others_are_served(proxied: Proxied) -> None:
    slow = proxied.raw(b"CONNECT graph.microsoft.com:443 HTTP/1.1\r\nHost: graph.micro")
    with proxied.client() as http:
        response = http.get("https://graph.microsoft.com/v1.0/me",
                            headers={"Authorization": f"Bearer {proxied.token()}"})
    assert response.status_code == 200
    # The proxy answers 408 and closes once its head timeout (2s here) has passed.
    assert read_all(slow) == refusal("408 Request Timeout", "the CONNECT request did not arrive in time")


def test_a_tunnel_that_stays_silent_after_its_handshake_is_closed(proxied: Proxied) -> None:
    sock = proxied.raw(b"CONNECT graph.microsoft.com:443 HTTP/1.1\r\n\r\n")
    assert sock.recv(1024) == b"HTTP/1.1 200 Connection established\r\n\r\n"
    context = ssl.create_default_context(cafile=proxied.ca)
    with context.wrap_socket(sock, server_hostname="graph.microsoft.com") as tls:
        assert tls.getpeercert()["subjectAltName"]
        # Nothing sent: the proxy closes the tunnel once its timeout (2s here) has passed.
        assert tls.recv(1024) == b""
    with proxied.client() as http:
        assert http.get("https://graph.microsoft.com/v1.0/me",
                        headers={"Authorization": f"Bearer {proxied.token()}"}).status_code == 200


SDK_SCRIPT = textwrap.dedent('''
    import asyncio, sys
    from kiota_abstractions.authentication import AccessTokenProvider, AllowedHostsValidator
    from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
    from msgraph import GraphServiceClient
    from msgraph.graph_request_adapter import GraphRequestAdapter
    from msgraph.generated.models.email_address import EmailAddress
    from msgraph.generated.models.item_body import ItemBody
    from msgraph.generated.models.message import Message
    from msgraph.generated.models.recipient import Recipient
    from msgraph.generated.users.item.send_mail.send_mail_post_request_body import SendMailPostRequestBody

    class StaticToken(AccessTokenProvider):
        def __init__(self, token):
            self.validator = AllowedHostsValidator(["graph.microsoft.com"])
            self.token = token
        async def get_authorization_token(self, uri, additional_authentication_context=None):
            return self.token if self.validator.is_url_host_valid(uri) else ""
        def get_allowed_hosts_validator(self):
            return self.validator

    async def main(token, sender, recipient):
        adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken(token)))
        print("base URL", adapter.base_url)
        client = GraphServiceClient(request_adapter=adapter)
        message = Message(subject="through the proxy", body=ItemBody(content="hello"),
                          to_recipients=[Recipient(email_address=EmailAddress(address=recipient))])
        await client.users.by_user_id(sender).send_mail.post(SendMailPostRequestBody(message=message))
        print("sent")

    asyncio.run(main(*sys.argv[1:]))
''')


def test_msgraph_sdk_with_only_https_proxy_and_ssl_cert_file_sends_mail(own_proxied: Proxied, tmp_path: Path) -> None:
    proxied = own_proxied   # bob's whole inbox is checked below
    script = tmp_path / "send.py"
    script.write_text(SDK_SCRIPT)
    # The child's environment names nothing of graphpost: only the proxy and the CA to trust.
    env = {name: value for name, value in child_environment().items()
           if not name.lower().endswith("_proxy") and name not in {"SSL_CERT_FILE", "SSL_CERT_DIR",
                                                                    "REQUESTS_CA_BUNDLE"}}
    env.update({"HTTPS_PROXY": proxied.url, "SSL_CERT_FILE": proxied.ca})
    done = subprocess.run([sys.executable, str(script), proxied.token(ALICE), ALICE, BOB], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr + proxied.server.output()
    assert done.stdout.splitlines() == ["base URL https://graph.microsoft.com/v1.0/", "sent"]
    assert proxied.server.wait_for_output(r"graphpost\.access: 127\.0\.0\.1 POST /v1\.0/users/alice@contoso\.test/"
                                          r"sendMail 202")
    with proxied.client() as http:
        inbox = http.get("https://graph.microsoft.com/v1.0/me/mailFolders/inbox/messages",
                         headers={"Authorization": f"Bearer {proxied.token(BOB)}"})
    assert [message["subject"] for message in inbox.json()["value"]] == ["through the proxy"]


def test_connections_over_the_cap_are_refused_until_one_closes(data_dir: Path) -> None:
    env = {"GRAPHPOST_PROXY_HEAD_TIMEOUT": "2s", "GRAPHPOST_PROXY_MAX_CONNECTIONS": "2"}
    with ServerProcess(data_dir, serve_args=["--proxy-port", "0"], env=env) as server:
        proxied = Proxied(server)
        held = [proxied.raw(b"CONNECT graph.microsoft.com:443 HTTP/1.1\r\n") for _ in range(2)]
        assert read_all(proxied.raw(b"")) == refusal("503 Service Unavailable",
                                                     "too many tunnels are open; try again later")
        # The held connections are dropped at their head timeout; their places are free again.
        for sock in held:
            assert read_all(sock) == refusal("408 Request Timeout", "the CONNECT request did not arrive in time")
        with proxied.client() as http:
            response = http.get("https://graph.microsoft.com/v1.0/me",
                                headers={"Authorization": f"Bearer {proxied.token()}"})
        assert response.status_code == 200


def test_the_proxy_and_https_serve_side_by_side_with_one_ca(data_dir: Path) -> None:
    with ServerProcess(data_dir, serve_args=["--tls", "--proxy-port", "0"]) as server:
        proxied = Proxied(server)
        token = proxied.token()
        with httpx.Client(verify=ssl.create_default_context(cafile=proxied.ca), trust_env=False,
                          timeout=SOCKET_TIMEOUT) as direct:
            own = direct.get(f"{server.base_url}/v1.0/me", headers={"Authorization": f"Bearer {token}"})
        with proxied.client() as http:
            through = http.get("https://graph.microsoft.com/v1.0/me", headers={"Authorization": f"Bearer {token}"})
    assert server.base_url.startswith("https://127.0.0.1:")
    assert own.json()["@odata.context"] == f"{server.base_url}/v1.0/$metadata#users/$entity"
    assert through.json()["@odata.context"] == "https://graph.microsoft.com/v1.0/$metadata#users/$entity"
