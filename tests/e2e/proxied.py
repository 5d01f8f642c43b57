"""A `graphpost serve --proxy-port 0` as the end-to-end tests use it: the proxy's port and CA from
its start-up line, an httpx client that goes through it, and the environment that sends an
unmodified application's traffic there and nowhere else."""

from __future__ import annotations

import os
import re
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import httpx

from graphpost.auth import clouds
from tests.e2e.server import ServerProcess, child_environment

PROXY_LINE = re.compile(r"^graphpost proxy on http://127\.0\.0\.1:(\d+) .* trust the CA (\S+)\)$")
ALICE, BOB = "alice@contoso.test", "bob@contoso.test"
SOCKET_TIMEOUT = 30.0    # a bound for a test that goes wrong, never what a test measures
CHILD_TIMEOUT = 120.0
# Where a process finds its proxy and the CAs it trusts. The machine may set some of them already
# (REQUESTS_CA_BUNDLE, SSL_CERT_FILE to the system's bundle): the child gets graphpost's only.
TRUST_AND_PROXY = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


class Proxied:
    def __init__(self, server: ServerProcess) -> None:
        found = server.wait_for_output(PROXY_LINE.pattern, timeout=10.0)
        assert found is not None, server.output()
        self.server = server
        self.port = int(found.group(1))
        self.url = f"http://127.0.0.1:{self.port}"
        self.ca = found.group(2)

    def client(self) -> httpx.Client:
        return httpx.Client(proxy=self.url, verify=ssl.create_default_context(cafile=self.ca), trust_env=False,
                            timeout=SOCKET_TIMEOUT)

    def token(self, user: str = ALICE, cloud: clouds.Cloud = clouds.GLOBAL) -> str:
        return self.server.cli("token", "--user", user, "--cloud", cloud.name).strip()

    def raw(self, data: bytes) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=SOCKET_TIMEOUT)
        sock.sendall(data)
        return sock

    def environment(self) -> dict[str, str]:
        """What a user sets to run an application against graphpost: the proxy for every scheme
        (graphpost's refuses what is not Graph's or Entra's, so nothing reaches the internet) and
        graphpost's CA as the only one trusted. Nothing else of graphpost's."""
        env = {name: value for name, value in child_environment().items()
               if not name.lower().endswith("_proxy") and name not in TRUST_AND_PROXY}
        env.update({"HTTPS_PROXY": self.url, "HTTP_PROXY": self.url, "SSL_CERT_FILE": self.ca,
                    "REQUESTS_CA_BUNDLE": self.ca})
        return env

    def run_application(self, code: str, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `code` as a Python program in a child process with only `environment()` set, in
        `directory` (where a library may keep its token cache)."""
        script = directory / "application.py"
        script.write_text(code)
        try:
            return subprocess.run([sys.executable, str(script), *args], env=self.environment(), cwd=directory,
                                  capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False)
        finally:
            os.unlink(script)

    def inbox_subjects(self, user: str, cloud: clouds.Cloud = clouds.GLOBAL) -> list[str]:
        """The subjects in a user's Inbox, read through the proxy as that user."""
        with self.client() as http:
            inbox = http.get(f"{cloud.graph_url}/v1.0/me/mailFolders/inbox/messages",
                             params={"$select": "subject"},
                             headers={"Authorization": f"Bearer {self.token(user, cloud)}"})
        assert inbox.status_code == 200, inbox.text
        return [message["subject"] for message in inbox.json()["value"]]
