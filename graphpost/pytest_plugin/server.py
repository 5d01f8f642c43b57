"""A real `graphpost serve` process for the tests of an application, and the `graphpost` CLI run
against its store.

Only the standard library: the plugin is loaded into every pytest session of a project that has
graphpost installed, so importing it must cost nothing and pull in nothing of the server (which
runs in its own process, exactly as an operator starts it)."""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn, Self

LISTENING = re.compile(r"^graphpost listening on (https?://\S+) ")
PROXY = re.compile(r"^graphpost proxy on (http://\S+) for .* trust the CA (\S+)\)$")
START_TIMEOUT = 60.0   # a first start makes the signing key, the CA and the database
STOP_TIMEOUT = 15.0
CLI_TIMEOUT = 60.0
HTTP_TIMEOUT = 30.0
# A CLI run costs a Python start (about a second): a token is minted once per (principal, scopes,
# cloud) and reused for this long, well within graphpost's default lifetime of an hour.
TOKEN_REUSE = 30 * 60.0
MAX_PAGES = 100        # a bound on the pages of one folder listing (Graph's default page is 10)
# The loopback names: code under test reaches graphpost's own URL directly, never through its proxy.
LOOPBACK = "127.0.0.1,localhost,::1"
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy")
CA_VARIABLES = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
NO_PROXY_VARIABLES = ("NO_PROXY", "no_proxy")


class GraphpostError(RuntimeError):
    """The server or a CLI command did not do what a test asked; the message carries its output."""


@dataclass(frozen=True)
class App:
    """An app registration, as `graphpost app add` prints it: what azure-identity's
    ClientSecretCredential(tenant_id, client_id, client_secret) or MSAL's
    ConfidentialClientApplication take."""
    tenant_id: str
    client_id: str
    client_secret: str
    name: str
    permissions: tuple[str, ...]


class OutputLog:
    """The lines a process writes, drained by threads so that its pipes never fill and block it."""

    def __init__(self) -> None:
        self._lines: list[str] = []
        self._changed = threading.Condition()
        self._open = 0

    def drain(self, stream: IO[str], name: str) -> None:
        with self._changed:
            self._open += 1
        threading.Thread(target=self._pump, args=(stream, name), daemon=True).start()

    def _pump(self, stream: IO[str], name: str) -> None:
        with stream:
            for line in stream:
                with self._changed:
                    self._lines.append(f"{name}| {line.rstrip()}")
                    self._changed.notify_all()
        with self._changed:
            self._open -= 1
            self._changed.notify_all()

    def wait_closed(self, timeout: float) -> None:
        """Until the process's streams are read to their end (its last words), or `timeout`."""
        with self._changed:
            self._changed.wait_for(lambda: self._open == 0, timeout)

    def text(self) -> str:
        with self._changed:
            return "\n".join(self._lines)

    def wait_for(self, pattern: re.Pattern[str], deadline: float) -> re.Match[str] | None:
        """The first line (without its stream prefix) matching `pattern`; None once the process
        closed its output or the deadline passed."""
        with self._changed:
            while True:
                for line in self._lines:
                    found = pattern.search(line.split("| ", 1)[1])
                    if found:
                        return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._open == 0:
                    return None
                self._changed.wait(min(remaining, 0.5))


class GraphpostServer:
    """`graphpost serve --tls --proxy-port 0` on a free port of 127.0.0.1, with SQLite in `data_dir`.

    `url` is graphpost's own address (https://127.0.0.1:PORT, or http:// with tls=False),
    `proxy_url` its proxy for Graph's and Entra's real host names, `ca_path` the CA certificate its
    TLS certificates chain to. On first start the store holds the tenant contoso.test with
    alice@contoso.test and bob@contoso.test."""

    def __init__(self, data_dir: Path, *, tls: bool = True, proxy: bool = True,
                 serve_args: Sequence[str] = ()) -> None:
        self.data_dir = Path(data_dir)
        self.tls = tls
        self.proxy = proxy
        self.serve_args = list(serve_args)
        self.log = OutputLog()
        self.process: subprocess.Popen[str] | None = None
        self._url: str | None = None
        self._proxy_url: str | None = None
        self._ca_path: Path | None = None
        self._tokens: dict[tuple[str, ...], tuple[float, str]] = {}   # arguments -> (minted at, token)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT) -> Self:
        """Start the server and return once it answers HTTP; GraphpostError with its output if not."""
        if self.process is not None:
            raise GraphpostError("this graphpost server was started already")
        args = ["serve", "--host", "127.0.0.1", "--port", "0"]
        args += ["--tls"] if self.tls else []
        args += ["--proxy-port", "0"] if self.proxy else []
        self.process = subprocess.Popen(
            self._command(*args, *self.serve_args), env=self._child_environ(), text=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.process.stdout is not None and self.process.stderr is not None
        self.log.drain(self.process.stdout, "out")
        self.log.drain(self.process.stderr, "err")
        deadline = time.monotonic() + timeout
        listening = self.log.wait_for(LISTENING, deadline)
        if listening is None:
            self._fail_start("did not report the address it listens on")
        self._url = listening.group(1)
        if self.proxy:
            proxied = self.log.wait_for(PROXY, deadline)
            if proxied is None:
                self._fail_start("did not report its proxy")
            self._proxy_url, self._ca_path = proxied.group(1), Path(proxied.group(2))
        elif self.tls:
            self._ca_path = Path(self.cli("ca").strip())
        # serve prints its address before uvicorn accepts connections: wait until it answers.
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self._fail_start(f"printed {self._url} but did not answer there")
            time.sleep(0.05)
        return self

    def _fail_start(self, why: str) -> NoReturn:
        process = self.process
        assert process is not None
        if process.poll() is None:
            process.kill()
        code = process.wait(STOP_TIMEOUT)
        self.log.wait_closed(STOP_TIMEOUT)
        raise GraphpostError(f"graphpost serve {why} (exit code {code}); its output:\n{self.log.text()}")

    def _answers(self) -> bool:
        try:
            self._open(urllib.request.Request(self.url + "/"))
        except urllib.error.HTTPError:
            return True    # any answer at all (GET / is a 404) means the server is up
        except OSError:
            return False
        return True

    def stop(self) -> int:
        """SIGTERM, then SIGKILL after STOP_TIMEOUT; the exit code (0 when it never started; -15
        is a clean stop too: uvicorn re-raises SIGTERM once it has shut down)."""
        process = self.process
        if process is None:
            return 0
        if process.poll() is None:
            # Clients a test dropped may still hold keep-alive connections, waiting in reference
            # cycles for the garbage collector (requests sessions of MSAL, azure-identity): the
            # server would wait out its graceful-shutdown timeout for them before it stops.
            gc.collect()
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT)
        return process.returncode

    def __enter__(self) -> Self:
        return self.start() if self.process is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- where it is ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """graphpost's own address, like https://127.0.0.1:PORT (Graph's base URL is url + "/v1.0")."""
        if self._url is None:
            raise GraphpostError("the graphpost server has not started")
        return self._url

    @property
    def proxy_url(self) -> str:
        """The proxy for Graph's and Entra's host names, like http://127.0.0.1:PORT."""
        if self._proxy_url is None:
            raise GraphpostError("this graphpost server runs no proxy")
        return self._proxy_url

    @property
    def ca_path(self) -> Path:
        """The local CA's certificate: what clients trust (SSL_CERT_FILE, REQUESTS_CA_BUNDLE)."""
        if self._ca_path is None:
            raise GraphpostError("this graphpost server serves neither TLS nor a proxy: there is no CA to trust")
        return self._ca_path

    def output(self) -> str:
        """Everything the server wrote so far, each line prefixed `out| ` or `err| `."""
        return self.log.text()

    def environ(self) -> dict[str, str]:
        """The variables that send an unmodified application's Graph and Entra calls to graphpost:
        the proxy for the real host names, the CA to trust, and loopback addresses kept direct."""
        values = {name: self.proxy_url for name in PROXY_VARIABLES}
        values.update({name: str(self.ca_path) for name in CA_VARIABLES})
        values.update({name: LOOPBACK for name in NO_PROXY_VARIABLES})
        return values

    def set_environ(self) -> Any:
        """A context manager that sets environ() in os.environ and restores the variables after."""
        return patched(self.environ())

    # -- the CLI over the same store --------------------------------------------------------

    def _command(self, *args: str) -> list[str]:
        # The interpreter running the tests, so that the graphpost installed beside pytest is used.
        return [sys.executable, "-m", "graphpost", *args, "--data-dir", str(self.data_dir)]

    def _child_environ(self) -> dict[str, str]:
        # A developer's own GRAPHPOST_* settings must not reach the test server (its store, its
        # ports); unbuffered, so that the lines the start waits for arrive as they are written.
        environ = {name: value for name, value in os.environ.items() if not name.startswith("GRAPHPOST_")}
        environ["PYTHONUNBUFFERED"] = "1"
        return environ

    def cli(self, *args: str, timeout: float = CLI_TIMEOUT) -> str:
        """Run `graphpost ARGS --data-dir DATA_DIR`, which must succeed; its standard output."""
        done = subprocess.run(self._command(*args), env=self._child_environ(), text=True, stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise GraphpostError(f"graphpost {' '.join(args)} exited {done.returncode}\n"
                                 f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
        return done.stdout

    def token(self, user: str | None = None, scopes: Sequence[str] | None = None, *, app: str | App | None = None,
              cloud: str = "global", lifetime: str | None = None) -> str:
        """A delegated token of `user` (scopes: Graph's delegated permissions, by default
        Mail.ReadWrite and Mail.Send), or an application token of `app` (a client id or an App;
        its roles are the app's permissions), for `cloud` (global, usgov, usgov-dod, china). Without
        `lifetime`, the same request within TOKEN_REUSE gets the same token."""
        if (user is None) == (app is None):
            raise ValueError("give a user or an app, not both")
        if app is not None:
            if scopes:
                raise ValueError("an application token carries the app's permissions, not scopes")
            args = ["token", "--app", app.client_id if isinstance(app, App) else app]
        else:
            args = ["token", "--user", str(user)]
            for scope in scopes or ():
                args += ["--scope", scope]
        args += ["--cloud", cloud]
        if lifetime is not None:
            return self.cli(*args, "--lifetime", lifetime).strip()
        key = tuple(args)
        minted = self._tokens.get(key)
        if minted is None or time.monotonic() - minted[0] > TOKEN_REUSE:
            minted = (time.monotonic(), self.cli(*args).strip())
            self._tokens[key] = minted
        return minted[1]

    def add_app(self, name: str, permissions: Sequence[str], *, tenant: str | None = None) -> App:
        """Register an app with `graphpost app add`."""
        args = ["app", "add", name]
        for permission in permissions:
            args += ["--permission", permission]
        args += ["--tenant", tenant] if tenant is not None else []
        printed = self.cli(*args)
        return App(tenant_id=_field(printed, "tenant_id"), client_id=_field(printed, "client_id"),
                   client_secret=_field(printed, "client_secret"), name=name, permissions=tuple(permissions))

    def add_user(self, upn: str, name: str | None = None) -> str:
        """Add a user (and its mailbox) with `graphpost user add`; its user principal name."""
        self.cli("user", "add", upn, *(["--name", name] if name is not None else []))
        return upn

    # -- Graph, as a client sees it ------------------------------------------------------------

    def _open(self, request: urllib.request.Request) -> Any:
        # Straight to graphpost's own address, whatever proxy the test's environment names.
        handlers: list[urllib.request.BaseHandler] = [urllib.request.ProxyHandler({})]
        if self.url.startswith("https://"):
            handlers.append(urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=self.ca_path)))
        return urllib.request.build_opener(*handlers).open(request, timeout=HTTP_TIMEOUT)

    def graph_get(self, path: str, token: str) -> dict[str, Any]:
        """GET url + path (like /v1.0/me) with a bearer token; the JSON answer, or GraphpostError
        with Graph's error."""
        url = path if path.startswith(("http://", "https://")) else self.url + path
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}",
                                                       "Accept": "application/json"})
        try:
            with self._open(request) as answer:
                found: dict[str, Any] = json.load(answer)
                return found
        except urllib.error.HTTPError as exc:
            raise GraphpostError(f"GET {url} answered {exc.code}: {exc.read().decode(errors='replace')}") from None

    def messages(self, user: str, folder: str = "inbox") -> list[dict[str, Any]]:
        """The messages of a folder (an id or a well-known name) of `user`'s mailbox, newest first,
        read through Graph with a token of that user; every page."""
        token = self.token(user, ["Mail.Read"])
        path = f"/v1.0/me/mailFolders/{urllib.parse.quote(folder, safe='')}/messages?$top=100"
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            page = self.graph_get(path, token)
            found.extend(page["value"])
            path = page.get("@odata.nextLink", "")
            if not path:
                return found
        raise GraphpostError(f"{user}'s {folder} has more than {MAX_PAGES} pages of messages")


def _field(output: str, name: str) -> str:
    found = re.search(rf"^{re.escape(name)}:\s*(\S+)\s*$", output, re.MULTILINE)
    if found is None:
        raise GraphpostError(f"no '{name}:' line in graphpost's output:\n{output}")
    return found.group(1)


@contextmanager
def running_server(**options: Any) -> Iterator[GraphpostServer]:
    """A server over a fresh temporary data directory, stopped and its directory deleted after."""
    data_dir = Path(tempfile.mkdtemp(prefix="graphpost-"))
    try:
        with GraphpostServer(data_dir, **options) as server:
            yield server
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def patched(environ: Mapping[str, str]) -> Iterator[None]:
    """Set `environ` in os.environ for the duration, then restore what was there before."""
    before = {name: os.environ.get(name) for name in environ}
    os.environ.update(environ)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
