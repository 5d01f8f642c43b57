"""A real `graphpost serve` process for end-to-end tests, plus the `graphpost` CLI run against the
same data directory and database, the way an operator would use them (in this process, through
typer's CliRunner, unless a test asks for the process: run_cli_process)."""

from __future__ import annotations

import gc
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Sequence

import httpx

if TYPE_CHECKING:
    from click.testing import Result

LISTENING = re.compile(r"^graphpost listening on (https?://\S+?)(?:\s|$)")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
CLI_TIMEOUT = 60.0


class ServerError(RuntimeError):
    """The server (or a CLI command) did not do what a test needs; the message carries its output."""


def graphpost_command() -> list[str]:
    """`python -m graphpost` with the interpreter running the tests, so the venv's code is used."""
    return [sys.executable, "-m", "graphpost"]


def child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test's environment without GRAPHPOST_* settings (a developer's own config must not leak
    into the server), unbuffered so that log lines reach the test as they are written."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("GRAPHPOST_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


class OutputLog:
    """Lines a process writes, drained by threads so that its pipes never fill and block it."""

    def __init__(self) -> None:
        self._lines: list[tuple[str, str]] = []  # (stream name, line)
        self._changed = threading.Condition()
        self._threads: list[threading.Thread] = []

    def drain(self, stream: IO[str], name: str) -> None:
        thread = threading.Thread(target=self._pump, args=(stream, name), daemon=True)
        thread.start()
        self._threads.append(thread)

    def _pump(self, stream: IO[str], name: str) -> None:
        with stream:
            for line in stream:
                with self._changed:
                    self._lines.append((name, line.rstrip("\n")))
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def join(self, timeout: float = 5.0) -> None:
        for thread in self._threads:
            thread.join(timeout)

    @property
    def closed(self) -> bool:
        return all(not thread.is_alive() for thread in self._threads)

    def text(self) -> str:
        with self._changed:
            return "\n".join(f"{name}| {line}" for name, line in self._lines)

    def wait_for(self, pattern: re.Pattern[str], timeout: float, start: int = 0) -> re.Match[str] | None:
        """The first match of `pattern` in lines from index `start` on; None when the streams close
        or `timeout` passes first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for _, line in self._lines[start:]:
                    found = pattern.search(line)
                    if found:
                        return found
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.closed:
                    return None
                self._changed.wait(min(remaining, 0.5))

    def __len__(self) -> int:
        with self._changed:
            return len(self._lines)


class ServerProcess:
    """`graphpost serve --host 127.0.0.1 --port 0 --data-dir DIR [--database-url URL]`.

    The log (stdout and stderr, each line prefixed `out| ` or `err| `) accumulates over restarts,
    so a test can read what happened across a crash."""

    def __init__(self, data_dir: Path, database_url: str | None = None, *, host: str = "127.0.0.1",
                 port: int = 0, env: dict[str, str] | None = None, serve_args: Sequence[str] = ()) -> None:
        self.data_dir = Path(data_dir)
        self.serve_args = list(serve_args)   # more flags for `serve`, e.g. --tls
        self.database_url = database_url
        self.host = host
        self.requested_port = port
        self.env = child_environment(env)
        self.log = OutputLog()
        self.process: subprocess.Popen[str] | None = None
        self._base_url: str | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = START_TIMEOUT, *, wait_ready: bool = True) -> ServerProcess:
        """Launch the server; return once it prints the URL it listens on and (with `wait_ready`)
        answers HTTP there. `serve` prints the URL before uvicorn listens and installs its signal
        handlers, so a client arriving on the line alone is refused, and a signal kills the
        process outright instead of stopping it cleanly."""
        if self.running:
            raise ServerError("the server is already running")
        first_line = len(self.log)
        args = ["serve", "--host", self.host, "--port", str(self.requested_port), *self.serve_args]
        self.process = subprocess.Popen(
            graphpost_command() + args + self.store_args(), env=self.env, text=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert self.process.stdout is not None and self.process.stderr is not None
        self.log.drain(self.process.stdout, "out")
        self.log.drain(self.process.stderr, "err")
        deadline = time.monotonic() + timeout
        self._base_url = self._await_url(first_line, timeout)
        if wait_ready:
            self._await_listening(max(deadline - time.monotonic(), 1.0))
        return self

    def _await_url(self, first_line: int, timeout: float) -> str:
        found = self.log.wait_for(LISTENING, timeout, start=first_line)
        if found is None:
            exited = self._exit_code_if_exiting()
            self._abandon()
            why = f"exited with code {exited}" if exited is not None else f"was silent for {timeout:.0f}s"
            raise ServerError(f"graphpost serve {why} before reporting its URL; output:\n{self.log.text()}")
        return found.group(1)

    def _await_listening(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not answers_http(self.base_url):
            if not self.running or time.monotonic() > deadline:
                self._abandon()
                raise ServerError(f"graphpost serve printed {self.base_url} but did not answer HTTP there "
                                  f"within {timeout:.0f}s (exit code {self.returncode}); output:\n{self.log.text()}")
            time.sleep(0.02)

    def _exit_code_if_exiting(self) -> int | None:
        """The exit code when the output streams closed (the process is ending), else None."""
        if not self.log.closed:
            return None
        try:
            return self._require_process().wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            return None

    def _abandon(self) -> None:
        """Kill a server that failed to start, so that no process outlives the test."""
        if self.running:
            self.kill()
        self.log.join()

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send `sig` (SIGTERM or SIGINT), wait for the exit, kill after `timeout`; the exit code.
        Raises when the server had to be killed: a server that ignores the signal is a bug."""
        process = self._require_process()
        if process.poll() is None:
            release_unreferenced_connections()
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise ServerError(f"graphpost serve ignored {sig.name} for {timeout:.0f}s and was killed; "
                                  f"output:\n{self.log.text()}") from None
        self.log.join()
        return process.returncode

    def kill(self) -> int:
        """SIGKILL: a crash, with no chance to finish requests or close the store."""
        process = self._require_process()
        if process.poll() is None:
            process.kill()
        process.wait(STOP_TIMEOUT)
        self.log.join()
        return process.returncode

    def restart(self, *, same_port: bool = True, timeout: float = START_TIMEOUT) -> ServerProcess:
        """Stop (if still running) and start again over the same store; by default on the same
        port, so that clients built for `base_url` keep working."""
        if self.running:
            self.stop()
        if same_port and self._base_url is not None:
            self.requested_port = self.port
        return self.start(timeout)

    def __enter__(self) -> ServerProcess:
        """Starts the server unless `start()` was called already (to pass it arguments)."""
        return self.start() if self.process is None else self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the server if it still runs, quietly: for teardown, whatever state a test left."""
        if not self.running:
            return
        try:
            self.stop()
        except ServerError:
            pass

    def _require_process(self) -> subprocess.Popen[str]:
        if self.process is None:
            raise ServerError("the server was never started")
        return self.process

    # -- state -------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    @property
    def pid(self) -> int:
        return self._require_process().pid

    @property
    def base_url(self) -> str:
        """Like http://127.0.0.1:PORT (no trailing slash, no API version)."""
        if self._base_url is None:
            raise ServerError("the server has not reported its URL yet")
        return self._base_url

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def output(self) -> str:
        """Everything the server wrote so far (over all its runs)."""
        return self.log.text()

    def log_mark(self) -> int:
        """A position in the log, for `wait_for_output(since=…)` to ignore what came before."""
        return len(self.log)

    def wait_for_output(self, pattern: str, timeout: float = 5.0, since: int = 0) -> re.Match[str] | None:
        """Log lines arrive asynchronously: wait for a line matching the regex `pattern`."""
        return self.log.wait_for(re.compile(pattern), timeout, start=since)

    # -- the CLI over the same store ---------------------------------------------------------

    def store_args(self) -> list[str]:
        """The flags that point a graphpost command at this server's store."""
        args = ["--data-dir", str(self.data_dir)]
        if self.database_url is not None:
            args += ["--database-url", self.database_url]
        return args

    def run_cli(self, *args: str, stdin: str | None = None,
                timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run `graphpost ARGS --data-dir … [--database-url …]` in this process (typer's CliRunner),
        whatever its exit code: the same command over the same store as a process would run, minus
        the Python start and imports (a second or two per call, and tests call it for every token).
        The tests of the entry point itself run it as a process: run_cli_process."""
        return run_cli_in_process(list(args) + self.store_args(), self.env, timeout, stdin)

    def run_cli_process(self, *args: str, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess[str]:
        """Run `python -m graphpost ARGS --data-dir … [--database-url …]` as a process, whatever its exit code."""
        return subprocess.run(graphpost_command() + list(args) + self.store_args(), env=self.env, text=True,
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout, check=False)

    def cli(self, *args: str, timeout: float = CLI_TIMEOUT) -> str:
        """Run a graphpost subcommand that must succeed; its stdout."""
        done = self.run_cli(*args, timeout=timeout)
        if done.returncode != 0:
            raise ServerError(f"graphpost {' '.join(args)} exited {done.returncode}\n"
                              f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}")
        return done.stdout

    def token(self, user: str = "alice@contoso.test", scopes: Sequence[str] | None = None,
              lifetime: str | None = None) -> str:
        """A delegated token from `graphpost token --user`."""
        args = ["token", "--user", user]
        for scope in scopes or ():
            args += ["--scope", scope]
        if lifetime is not None:
            args += ["--lifetime", lifetime]
        return self.cli(*args).strip()

    def app_token(self, client_id: str, lifetime: str | None = None) -> str:
        """An application token from `graphpost token --app`."""
        args = ["token", "--app", client_id] + (["--lifetime", lifetime] if lifetime is not None else [])
        return self.cli(*args).strip()

    def add_app(self, name: str, permissions: Sequence[str]) -> str:
        """Register an app with `graphpost app add`; its client id."""
        args = ["app", "add", name]
        for permission in permissions:
            args += ["--permission", permission]
        return parse_field(self.cli(*args), "client_id")

    def users(self) -> dict[str, str]:
        """`graphpost user list` as {userPrincipalName: id}."""
        found = {}
        for line in self.cli("user", "list").splitlines()[1:]:   # after the header
            if line.strip():
                user_id, upn = line.split()[:2]
                found[upn] = user_id
        return found


def run_cli_in_process(args: list[str], env: dict[str, str], timeout: float,
                       stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`graphpost ARGS` through typer's CliRunner with `env` as the whole environment, in a thread of
    its own: the commands run their own event loop (asyncio.run), which cannot start inside the
    loop of an async test. The environment and standard streams are the process's own, swapped for
    the call: the test waits for it, so nothing else of the test runs meanwhile."""
    # Imported here: the CLI pulls in the whole server, which the process-only helpers never need.
    from typer.testing import CliRunner

    from graphpost.cli import app

    overrides: dict[str, str | None] = {name: None for name in os.environ if name not in env}
    overrides.update((name, value) for name, value in env.items() if os.environ.get(name) != value)
    done: list[Result] = []
    thread = threading.Thread(target=lambda: done.append(CliRunner().invoke(app, args, input=stdin, env=overrides)),
                              name="graphpost-cli", daemon=True)
    thread.start()
    thread.join(timeout)
    if not done:
        raise ServerError(f"graphpost {' '.join(args)} did not finish within {timeout:.0f}s")
    result = done[0]
    stderr = result.stderr
    if result.exc_info is not None and not isinstance(result.exception, SystemExit):
        # An exception escaping the command: its traceback, as the process would have printed it.
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess(["graphpost", *args], result.exit_code, result.stdout, stderr)


def release_unreferenced_connections() -> None:
    """Close the connections of clients the tests dropped but that wait in reference cycles for the
    garbage collector (MSAL's and azure-identity's requests sessions): the server finishes its open
    connections before it stops, and waits out its graceful-shutdown timeout (10 s) for idle
    keep-alive connections that no client will ever use or close."""
    gc.collect()


def accepts_connections(host: str, port: int) -> bool:
    """Whether a TCP connection to host:port succeeds now (closed again at once)."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def answers_http(base_url: str) -> bool:
    """Whether the server answers an HTTP request (any status: `GET /` is a 404). A TCP connect
    alone is not enough: a listening socket may still be queueing connections for a server that
    has not started, or installed its signal handlers, yet. Over HTTPS the certificate is not
    checked here: this asks whether the server is up; whether clients trust it is a test's own."""
    try:
        httpx.get(base_url + "/", timeout=2.0, verify=False)
    except httpx.TransportError:
        return False
    return True


def parse_field(output: str, name: str) -> str:
    """The value of a `name: value` line of CLI output."""
    found = re.search(rf"^{re.escape(name)}:\s*(\S+)\s*$", output, re.MULTILINE)
    if found is None:
        raise ServerError(f"no '{name}:' line in:\n{output}")
    return found.group(1)
