"""What the load drivers in bench/ share: the load generator's HTTP/1.1 clients, the measured
window with its CPU accounting, child servers, and a few helpers.

Moved out of bench/sendmail.py (which imports them from here, as does bench/read.py) without
changing what they do. The drivers run their load generator in a separate process (the driver's
own file with --loadgen, see `run_loadgen`), so that the generator, the driver and the server do
not share an event loop.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Coroutine

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOST = "127.0.0.1"
REQUEST_TIMEOUT_S = 60.0  # one request; a hung server cannot hold the run forever
START_TIMEOUT_S = 60.0


# ----------------------------------------------------------------------------- load generator

def _cpu_ticks(pid: int, task: int | None = None) -> float:
    """utime + stime of a process (or of one of its threads), in seconds (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/task/{task}/stat" if task else f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def _children(pid: int) -> list[int]:
    """The running child processes of `pid` (graphpost's SQLite writer process)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def _server_cpu(pid: int | None) -> tuple[float, float]:
    """(whole process with its child processes, its main thread = the event loop), CPU seconds.
    A child that ends within a window takes its CPU time with it: graphpost's run as long as it."""
    if not pid:
        return float("nan"), float("nan")
    children = sum(ticks for child in _children(pid) if (ticks := _cpu_ticks(child)) == ticks)
    return _cpu_ticks(pid) + children, _cpu_ticks(pid, pid)


class RawConnection:
    """Just enough HTTP/1.1 over asyncio streams: keep-alive, Content-Length or chunked bodies."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, head: bytes, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(head + body if body else head)
        try:
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            raise ConnectionError("connection closed before the response") from None
        status = int(raw[9:12])
        lower = raw.lower()
        close = b"\r\nconnection: close" in lower
        at = lower.find(b"\r\ncontent-length:")
        if at >= 0:
            end = lower.index(b"\r\n", at + 2)
            length = int(lower[at + 17:end])
            data = await self.reader.readexactly(length) if length else b""
        elif b"\r\ntransfer-encoding: chunked" in lower:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")  # no trailers expected
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            data = b"".join(parts)
        elif status in (204, 304) or status < 200:
            data = b""
        else:
            data = await self.reader.read()
            close = True
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class RawClient:
    name = "raw asyncio HTTP/1.1 keep-alive client"

    def __init__(self, host: str, port: int, token: str | None) -> None:
        self.host, self.port = host, port
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        self.common = f"Host: {host}:{port}\r\n{auth}User-Agent: graphpost-bench\r\n"

    def connection(self) -> RawConnection:
        return RawConnection(self.host, self.port)

    def head(self, path: str, body: bytes, method: str = "POST") -> bytes:
        """The request line and headers; `path` is sent as given (already percent-encoded)."""
        if method == "GET" and not body:
            return f"GET {path} HTTP/1.1\r\n{self.common}\r\n".encode()
        kind = "Content-Type: application/json\r\n" if body else ""
        return f"{method} {path} HTTP/1.1\r\n{self.common}{kind}Content-Length: {len(body)}\r\n\r\n".encode()

    async def post(self, conn: RawConnection, head: bytes, body: bytes) -> tuple[int, bytes]:
        return await conn.request(head, body)

    async def aclose(self) -> None:
        pass


class HttpxClient:
    name = "httpx.AsyncClient (connection pool)"

    def __init__(self, host: str, port: int, token: str | None, concurrency: int) -> None:
        import httpx
        headers = {"User-Agent": "graphpost-bench"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = httpx.AsyncClient(
            base_url=f"http://{host}:{port}", headers=headers, timeout=REQUEST_TIMEOUT_S,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))

    def connection(self) -> None:
        return None

    def head(self, path: str, body: bytes, method: str = "POST") -> Any:
        return (method, path, {"Content-Type": "application/json"} if body else {})

    async def post(self, conn: None, head: Any, body: bytes) -> tuple[int, bytes]:
        method, path, headers = head
        if method == "GET" and not body:
            response = await self.client.get(path, headers=headers)
        else:
            response = await self.client.request(method, path, content=body, headers=headers)
        return response.status_code, response.content

    async def aclose(self) -> None:
        await self.client.aclose()


class Series:
    """One kind of request (or operation): window samples and whole-run status counts."""

    def __init__(self) -> None:
        self.latencies: list[float] = []  # successful, completed inside the window
        self.window_errors = 0
        self.statuses: dict[str, int] = {}  # the whole run, warm-up and drain included
        self.error_samples: list[str] = []

    def record(self, status: int | str, started: float, ended: float, t0: float, t1: float,
               body: bytes = b"") -> bool:
        ok = isinstance(status, int) and 200 <= status < 300
        self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
        if not ok and len(self.error_samples) < 3:
            self.error_samples.append(f"{status}: {body[:300].decode('utf-8', 'replace')}")
        if t0 <= ended <= t1:
            if ok:
                self.latencies.append(ended - started)
            else:
                self.window_errors += 1
        return ok

    def summary(self, seconds: float) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            if not lat:
                return float("nan")
            return lat[min(len(lat) - 1, max(0, math.ceil(p / 100 * len(lat)) - 1))] * 1000  # nearest rank

        ok_total = sum(n for s, n in self.statuses.items() if s.isdigit() and 200 <= int(s) < 300)
        return {"count": len(lat), "rate": len(lat) / seconds, "p50_ms": pct(50), "p99_ms": pct(99),
                "mean_ms": (sum(lat) / len(lat) * 1000) if lat else float("nan"),
                "max_ms": lat[-1] * 1000 if lat else float("nan"),
                "window_errors": self.window_errors, "ok_total": ok_total,
                "errors_total": sum(self.statuses.values()) - ok_total,
                "statuses": self.statuses, "error_samples": self.error_samples}


async def _timed(client: Any, conn: Any, head: bytes, body: bytes) -> tuple[int | str, bytes]:
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):  # cheaper than wait_for (no extra task)
            return await client.post(conn, head, body)
    except TimeoutError:
        if conn is not None:
            conn.close()
        return "timeout", b""
    except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
        if conn is not None:
            conn.close()
        return f"connection-error ({type(exc).__name__})", str(exc).encode()



async def run_window(worker: Callable[[float, float], Coroutine[Any, Any, None]], concurrency: int, warmup: float,
                     seconds: float, server_pid: int | None = None,
                     others: dict[str, Callable[[], float]] | None = None) -> dict[str, float]:
    """Run `concurrency` copies of `worker(t0, t1)` (each stops starting requests at t1, a
    time.perf_counter() value; only what completes in [t0, t1] is measured) and measure the
    CPU of this process and of the server (whole process, event-loop thread) over the window;
    `others` maps a name to a function giving CPU seconds used so far (-> `{name}_cpu_pct`)."""
    others = others or {}
    start = time.perf_counter()
    t0 = start + warmup
    t1 = t0 + seconds
    tasks = [asyncio.create_task(worker(t0, t1)) for _ in range(concurrency)]
    await asyncio.sleep(max(0.0, t0 - time.perf_counter()))
    w0, c0, (s0, m0) = time.perf_counter(), time.process_time(), _server_cpu(server_pid)
    o0 = {name: sample() for name, sample in others.items()}
    await asyncio.sleep(max(0.0, t1 - time.perf_counter()))
    w1, c1, (s1, m1) = time.perf_counter(), time.process_time(), _server_cpu(server_pid)
    o1 = {name: sample() for name, sample in others.items()}
    await asyncio.gather(*tasks)
    elapsed = w1 - w0
    return {"loadgen_cpu_pct": (c1 - c0) / elapsed * 100, "server_cpu_pct": (s1 - s0) / elapsed * 100,
            "server_loop_cpu_pct": (m1 - m0) / elapsed * 100,
            **{f"{name}_cpu_pct": (o1[name] - o0[name]) / elapsed * 100 for name in others}}


def processes_cpu(comm: str) -> float:
    """CPU seconds used so far by every running process whose name is `comm` (Linux /proc), e.g.
    PostgreSQL's backends (a process that ends within a window takes its CPU time with it)."""
    total = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/comm") as f:
                if f.read().strip() != comm:
                    continue
        except OSError:
            continue
        ticks = _cpu_ticks(int(entry.name))
        if ticks == ticks:  # not NaN: the process may have ended meanwhile
            total += ticks
    return total


def run_loadgen(script: str | Path, spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run `script --loadgen` in a separate process: the spec as JSON on stdin, the result as
    JSON on stdout."""
    done = subprocess.run([sys.executable, str(script), "--loadgen"], input=json.dumps(spec), capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"load generator failed:\n{done.stderr}")
    return json.loads(done.stdout)


# wrk (Debian's package) as the load generator: a C client that costs the machine less CPU per
# request than ours; its Lua script posts one body and prints the summary as JSON at the end.
_WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open(os.getenv("GRAPHPOST_WRK_BODY"), "rb")
wrk.body = f:read("*a")
f:close()
local token = os.getenv("GRAPHPOST_WRK_TOKEN")
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nWRK_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "mean_us": %f, "max_us": %d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
"""


def _wrk_once(url: str, seconds: float, concurrency: int, script: Path, env: dict[str, str]) -> dict[str, Any]:
    # One thread: the machine has two cores and the server needs them more than wrk does.
    argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", f"{REQUEST_TIMEOUT_S:g}s",
            "-s", str(script), url]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=seconds + REQUEST_TIMEOUT_S + 30)
    found = re.search(r"^WRK_JSON (\{.*\})$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or not found:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(found.group(1))


def run_wrk(host: str, port: int, path: str, body: bytes, token: str | None, concurrency: int, warmup: float,
            seconds: float, server_pid: int | None, tmp: Path) -> dict[str, Any]:
    """POST `body` to `path` with wrk: a warm-up run, then the measured one, the server's CPU
    sampled around it. Returns a loadgen-shaped result (one series, `"requests"`); wrk rounds
    durations to whole seconds. wrk does not count the requests still in flight when it stops
    (at most `concurrency` a run), though the server may complete them: `in_flight_max` says how
    many more the server may have done than `ok_total`."""
    if shutil.which("wrk") is None:
        raise SystemExit("--client wrk: wrk is not installed (Debian: apt-get install wrk)")
    script, body_file = tmp / "wrk-post.lua", tmp / "wrk-body"
    script.write_text(_WRK_SCRIPT)
    body_file.write_bytes(body)
    env = {**os.environ, "GRAPHPOST_WRK_BODY": str(body_file), "GRAPHPOST_WRK_TOKEN": token or ""}
    url = f"http://{host}:{port}{path}"
    runs = []
    if warmup > 0:
        runs.append(_wrk_once(url, warmup, concurrency, script, env))
    before, c0 = _server_cpu(server_pid), os.times()
    measured = _wrk_once(url, seconds, concurrency, script, env)
    after, c1 = _server_cpu(server_pid), os.times()
    runs.append(measured)
    elapsed = measured["duration_us"] / 1e6
    failed = [sum(r[k] for k in ("connect", "read", "write", "status", "timeout")) for r in runs]
    ok_total = sum(r["requests"] - r["status"] for r in runs)
    window_ok = measured["requests"] - measured["status"]
    series = {"count": window_ok, "rate": window_ok / elapsed, "p50_ms": measured["p50_us"] / 1000,
              "p99_ms": measured["p99_us"] / 1000, "mean_ms": measured["mean_us"] / 1000,
              "max_ms": measured["max_us"] / 1000, "window_errors": failed[-1], "ok_total": ok_total,
              "errors_total": sum(failed), "statuses": {}, "error_samples": [],
              "in_flight_max": concurrency * len(runs)}
    wrk_cpu = (c1.children_user + c1.children_system) - (c0.children_user + c0.children_system)
    return {"client": "wrk", "concurrency": concurrency, "seconds": elapsed, "warmup": warmup,
            "series": {"requests": series}, "loadgen_cpu_pct": wrk_cpu / elapsed * 100,
            "server_cpu_pct": (after[0] - before[0]) / elapsed * 100,
            "server_loop_cpu_pct": (after[1] - before[1]) / elapsed * 100}


# ----------------------------------------------------------------------------- servers and helpers

class Server:
    """A child process that prints `... listening on http://HOST:PORT` once it is bound."""

    def __init__(self, name: str, argv: list[str], logdir: Path, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.out = logdir / f"{name}.stdout"
        self.err = logdir / f"{name}.stderr"
        with open(self.out, "wb") as out, open(self.err, "wb") as err:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT,
                                         env=env)
        self.port = self._wait_for_port()

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.out.read_text(errors="replace"))
            if found and self._accepts(int(found.group(1))):
                # The port is printed once bound; uvicorn listens a moment later.
                return int(found.group(1))
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise SystemExit(f"{self.name} did not start; stderr:\n{self.err.read_text(errors='replace')[-3000:]}")

    @staticmethod
    def _accepts(port: int) -> bool:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn: finish in-flight requests, then exit
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def graphpost_cli(args: list[str], common: list[str]) -> str:
    done = subprocess.run([str(Path(sys.executable).with_name("graphpost")), *args, *common], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"graphpost {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()



def api_get(port: int, token: str, path: str) -> dict[str, Any]:
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())



def ratio(x: float, y: float) -> float:
    return x / y if y else float("nan")


def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"


def print_result(label: str, result: dict[str, Any], name: str, unit: str = "req/s", width: int = 44) -> None:
    s = result["series"][name]
    print(f"  {label:<{width}} {fmt(s['rate']):>9} {unit:<6} p50 {fmt(s['p50_ms'], 2):>7} ms  "
          f"p99 {fmt(s['p99_ms'], 2):>7} ms  errors {s['window_errors']} in window, {s['errors_total']} in run")
    for sample in s["error_samples"]:
        print(f"      error sample: {sample}")


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every HTTP driver here takes: the window, the warm-up and the connections."""
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per workload [10]")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds per workload [2]")
    parser.add_argument("--concurrency", type=int, default=16, help="connections, one request in flight each [16]")
    parser.add_argument("--loadgen", action="store_true", help=argparse.SUPPRESS)


def check_load_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.seconds <= 0 or args.warmup < 0 or not 1 <= args.concurrency <= 1024:
        parser.error("need --seconds > 0, --warmup >= 0 and 1 <= --concurrency <= 1024")


def report_check(failures: list[str]) -> None:
    """Print the run's check line (the tests in tests/bench read it) and its failures; exit 1 on any."""
    print(f"check: {'FAILED' if failures else 'passed'}")
    for failure in failures:
        print(f"  - {failure}")
    if failures:
        sys.exit(1)


def shut_down(servers: list[Server], tmp: Path, keep: bool) -> None:
    """Stop the servers a run started, then remove its temp dir unless asked to keep it."""
    for server in servers:
        server.stop()
    if keep:
        print(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
