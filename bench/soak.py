"""Memory soak: a real `graphpost serve` under N requests of mixed traffic, with its RSS sampled.

    .venv/bin/python bench/soak.py [--requests 100000] [--warmup-requests N] [--concurrency 8]
                                   [--rss-bound-mb 350] [--upload-mib 24] [--sample-interval 0.5] [--database-url URL]
                                   [--weight KIND=WEIGHT ...] [--server-env NAME=VALUE ...] [--keep]

Everything runs on 127.0.0.1 and stops by itself (the load is a fixed number of requests, every
request has a 60 s timeout, the load generator a deadline, the server is stopped at the end, also
on errors):
  1. a fresh temporary data dir (SQLite there, or --database-url); `graphpost user add` carol (alice
     and bob come with a new store); tokens for alice and bob; `graphpost serve --port 0`;
  2. a load generator in a separate process (this file with --loadgen, bench/harness.py's raw
     HTTP/1.1 client, --concurrency keep-alive connections) sends --requests requests drawn from
     MIX below with a fixed seed: sendMail (JSON and base64 MIME), draft create + send, listings
     with $filter/$top/$select/$orderby, $value of drafts and of received mail, GET /me, a few
     large bodies (2 MB HTML, a 1 MB attachment, a 24 MiB (--upload-mib) attachment uploaded in ranges and then
     read back as MIME) and 300-recipient messages, and bad requests
     that must get a 4xx;
  3. meanwhile this process samples the server's resident set size (VmRSS in /proc, of the
     server process and of its child processes, i.e. the SQLite writer) every --sample-interval;
  4. it prints the RSS before the load, after the warm-up requests, its peak, at the end of the
     load and after a few idle seconds, and whether it stayed within --rss-bound-mb (after the
     warm-up: the bound is about what a long run keeps, not about start-up).

Exit 1 if any answer was not what its kind expects (2xx, or a 4xx for the bad requests: never a
5xx), or if the RSS passed the bound. See bench/README.md, "soak.py", for figures and why the RSS
stays bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import (HOST, REQUEST_TIMEOUT_S, RawConnection, Server, _children, _timed,  # noqa: E402
                     graphpost_cli, report_check, shut_down)

DOMAIN = "contoso.test"
ALICE, BOB, CAROL = (f"{name}@{DOMAIN}" for name in ("alice", "bob", "carol"))
LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "
SEED = 20261202
MANY_RECIPIENTS = 300  # under Exchange Online's 500 per message
LARGE_BODY_BYTES = 2 * 1024 * 1024
ATTACHMENT_BYTES = 1024 * 1024
UPLOAD_RANGE = 4 * 1024 * 1024  # one PUT
PROGRESS_EVERY_S = 60.0
RECEIVED_IDS_KEPT = 64  # bob's received message ids the generator keeps for $value / GET


@dataclass(frozen=True)
class Kind:
    name: str
    weight: float
    expect: str  # "2xx" or "4xx"
    requests: int = 1


# Weights are per operation; draft_send is two requests. Large bodies are rare, as in real mail,
# but at 100,000 requests ~100 of each large kind run (each stored once: bob only, no Sent Items).
MIX = [
    Kind("send_mail", 28, "2xx"),
    Kind("send_mail_mime", 3, "2xx"),
    Kind("draft_send", 8, "2xx", requests=2),
    Kind("list_unread", 10, "2xx"),
    Kind("list_select", 6, "2xx"),
    Kind("value_draft", 3, "2xx"),
    Kind("value_received", 3, "2xx"),
    Kind("get_message", 4, "2xx"),
    Kind("me", 10, "2xx"),
    Kind("many_recipients", 1, "2xx"),
    Kind("large_body", 0.1, "2xx"),
    Kind("large_attachment", 0.1, "2xx"),
    # A draft, an upload session, ranges of 4 MiB (6 by default), its $value (~32 MB of MIME by
    # default), then it is deleted: 10 requests by default (`upload_requests`).
    Kind("upload_large", 0.02, "2xx", requests=10),
    Kind("bad", 8, "4xx"),
]


def recipients(addresses: list[str]) -> list[dict[str, Any]]:
    return [{"emailAddress": {"address": a, "name": a.split("@")[0].title()}} for a in addresses]


def html(size: int) -> str:
    return f"<html><body><p>Hello,</p><p>{(LOREM * (size // len(LOREM) + 1))[:size]}</p></body></html>"


def message(subject: str, to: list[str], cc: Sequence[str] = (), size: int = 1200, **more: Any) -> dict[str, Any]:
    return {"subject": subject, "body": {"contentType": "HTML", "content": html(size)},
            "toRecipients": recipients(to), "ccRecipients": recipients(list(cc)), **more}


def many_addresses() -> list[str]:
    return [BOB] + [f"user{i}@partner{i % 7}.example" for i in range(MANY_RECIPIENTS - 1)]


def mime_message() -> bytes:
    return (f"From: Alice <{ALICE}>\r\nTo: Bob <{BOB}>\r\nSubject: soak MIME\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + LOREM * 20 + "\r\n").encode()


def bodies() -> dict[str, bytes]:
    attachment = {"@odata.type": "#microsoft.graph.fileAttachment", "name": "figures.bin",
                  "contentType": "application/octet-stream",
                  "contentBytes": base64.b64encode(random.Random(SEED).randbytes(ATTACHMENT_BYTES)).decode()}
    dumps = lambda value: json.dumps(value).encode()  # noqa: E731
    return {
        "send_mail": dumps({"message": message("soak: figures", [BOB, CAROL], [ALICE]), "saveToSentItems": True}),
        "send_mail_mime": base64.b64encode(mime_message()),
        "draft": dumps(message("soak: draft", [BOB, "partner@fabrikam.example"])),
        "many_recipients": dumps({"message": message("soak: many", many_addresses()), "saveToSentItems": False}),
        "large_body": dumps({"message": message("soak: large", [BOB], size=LARGE_BODY_BYTES),
                             "saveToSentItems": False}),
        "large_attachment": dumps({"message": message("soak: attachment", [BOB], attachments=[attachment]),
                                   "saveToSentItems": False}),
        "draft_many": dumps(message("soak: many draft", many_addresses())),
        "draft_large": dumps(message("soak: large draft", [BOB], size=LARGE_BODY_BYTES // 2)),
    }


# Bad requests, in turn: (method, path, content type, body, which token). Each must be a 4xx.
BAD = [
    ("POST", "/v1.0/me/sendMail", "application/json", b'{"message": {"subject": "x", ', "alice"),
    ("POST", "/v1.0/me/sendMail", "application/json", b'{"message": {"subject": "no recipients"}}', "alice"),
    ("GET", "/v1.0/me/messages?$filter=subject%20eq%20", None, b"", "alice"),
    ("GET", "/v1.0/me/messages?$top=-3", None, b"", "alice"),
    ("GET", "/v1.0/me/messages?$orderby=nosuchproperty", None, b"", "alice"),
    ("GET", "/v1.0/me/messages/AAMkAGnosuchmessage", None, b"", "alice"),
    ("GET", "/v1.0/me/messages/AAMkAGnosuchmessage/$value", None, b"", "alice"),
    ("GET", "/v1.0/me", None, b"", None),
    ("GET", "/v1.0/me", None, b"", "forged"),
    ("POST", "/v1.0/me/sendMail", "text/plain", b"not base64 at all!", "alice"),
]


# ----------------------------------------------------------------------------- load generator

def head(method: str, path: str, token: str | None, content_type: str | None, body: bytes,
         *extra: str) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "User-Agent: graphpost-soak", *extra]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body or method != "GET":
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    host, port, total = spec["host"], spec["port"], spec["requests"]
    tokens = {"alice": spec["alice"], "bob": spec["bob"], "forged": spec["alice"][:-8] + "AAAAAAAA", None: None}
    made = bodies()
    rng = random.Random(SEED)
    kinds = [kind for kind in MIX]
    weights = [spec["weights"].get(kind.name, kind.weight) for kind in MIX]
    counts: dict[str, dict[str, int]] = {kind.name: {} for kind in MIX}
    seconds: dict[str, list[float]] = {kind.name: [0.0, 0.0, 0] for kind in MIX}  # total, longest, operations
    samples: list[str] = []
    milestones: list[tuple[int, float]] = []  # (requests answered, time.time())
    state = {"issued": 0, "answered": 0, "failed": 0, "resent": 0}
    every = max(1, total // 400)
    received: list[str] = []

    def record(kind: Kind, status: int | str, data: bytes) -> bool:
        counts[kind.name][str(status)] = counts[kind.name].get(str(status), 0) + 1
        state["answered"] += 1
        if state["answered"] % every == 0:
            milestones.append((state["answered"], time.time()))
        ok = isinstance(status, int) and (200 <= status < 300 if kind.expect == "2xx" else 400 <= status < 500)
        if not ok:
            state["failed"] += 1
            if len(samples) < 10:
                samples.append(f"{kind.name} -> {status}: {data[:300].decode('utf-8', 'replace')}")
        return ok

    conn0 = RawConnection(host, port)

    class Direct:  # what harness._timed calls: client.post(conn, head, body)
        @staticmethod
        async def post(conn: RawConnection, head_: bytes, body: bytes) -> tuple[int, bytes]:
            reused = conn.writer is not None
            try:
                return await conn.request(head_, body)
            except ConnectionError:
                # uvicorn closes a keep-alive connection idle for 5 s, counted from when the last
                # response was handed to the transport: a client still reading a 32 MB $value on
                # a busy machine may send its next request into that close. HTTP clients resend
                # an idempotent request once on a new connection then (RFC 9110, 9.2.2).
                if not reused or head_.startswith(b"POST "):
                    raise
                state["resent"] += 1
                return await conn.request(head_, body)

    async def call(conn: RawConnection, method: str, path: str, who: str | None, body: bytes = b"",
                   content_type: str | None = "application/json") -> tuple[int | str, bytes]:
        return await _timed(Direct, conn, head(method, path, tokens[who], content_type, body), body)

    # Drafts to render ($value) and read: a plain one, a 300-recipient one, a 1 MB one.
    drafts = []
    for name in ("draft", "draft_many", "draft_large"):
        status, data = await call(conn0, "POST", "/v1.0/me/messages", "alice", made[name])
        if status != 201:
            raise SystemExit(f"creating the {name} draft: {status} {data[:300]!r}")
        drafts.append(json.loads(data)["id"])
    conn0.close()

    blob = random.Random(SEED + 1).randbytes(UPLOAD_RANGE)

    async def upload_large(conn: RawConnection, kind: Kind) -> tuple[int | str, bytes]:
        """Every step but the last is recorded here; the last answer is returned."""
        status, data = await call(conn, "POST", "/v1.0/me/messages", "alice", made["draft"])
        if not record(kind, status, data):
            return status, data
        message = f"/v1.0/me/messages/{json.loads(data)['id']}"
        size = spec["upload_bytes"]
        item = {"AttachmentItem": {"attachmentType": "file", "name": "archive.bin", "size": size}}
        status, data = await call(conn, "POST", f"{message}/attachments/createUploadSession", "alice",
                                  json.dumps(item).encode())
        if not record(kind, status, data):
            return status, data
        url = json.loads(data)["uploadUrl"]
        path = url[url.index("/", len("http://")):]
        for first in range(0, size, UPLOAD_RANGE):
            last = min(size, first + UPLOAD_RANGE) - 1
            chunk = blob[:last - first + 1]
            status, data = await _timed(Direct, conn, head("PUT", path, None, "application/octet-stream", chunk,
                                                           f"Content-Range: bytes {first}-{last}/{size}"), chunk)
            if not record(kind, status, data):
                return status, data
        status, data = await call(conn, "GET", f"{message}/$value", "alice")
        if not record(kind, status, data):
            return status, data
        return await call(conn, "DELETE", message, "alice")

    async def one(conn: RawConnection, kind: Kind, turn: int) -> None:
        name = kind.name
        if name in ("send_mail", "many_recipients", "large_body", "large_attachment"):
            status, data = await call(conn, "POST", "/v1.0/me/sendMail", "alice", made[name])
        elif name == "send_mail_mime":
            status, data = await call(conn, "POST", "/v1.0/me/sendMail", "alice", made[name], "text/plain")
        elif name == "draft_send":
            status, data = await call(conn, "POST", "/v1.0/me/messages", "alice", made["draft"])
            if not record(kind, status, data):
                return
            status, data = await call(conn, "POST", f"/v1.0/me/messages/{json.loads(data)['id']}/send", "alice")
        elif name == "upload_large":
            status, data = await upload_large(conn, kind)
        elif name == "list_unread":
            status, data = await call(conn, "GET", "/v1.0/me/mailFolders/inbox/messages"
                                      "?$filter=isRead%20eq%20false&$top=10", "bob")
            if status == 200 and (turn % 8 == 0 or len(received) < RECEIVED_IDS_KEPT):
                for item in json.loads(data)["value"]:
                    received.append(item["id"])
                del received[:-RECEIVED_IDS_KEPT]
        elif name == "list_select":
            status, data = await call(conn, "GET", "/v1.0/me/messages?$top=25&$select=subject,from,toRecipients"
                                      "&$orderby=receivedDateTime%20desc", "alice")
        elif name == "value_draft":
            status, data = await call(conn, "GET", f"/v1.0/me/messages/{drafts[turn % len(drafts)]}/$value", "alice")
        elif name in ("value_received", "get_message"):
            if received:
                suffix = "/$value" if name == "value_received" else ""
                status, data = await call(conn, "GET", f"/v1.0/me/messages/{received[turn % len(received)]}{suffix}",
                                          "bob")
            else:
                status, data = await call(conn, "GET", f"/v1.0/me/messages/{drafts[0]}", "alice")
        elif name == "me":
            status, data = await call(conn, "GET", "/v1.0/me", "bob" if turn % 2 else "alice")
        else:
            method, path, content_type, body, who = BAD[turn % len(BAD)]
            status, data = await call(conn, method, path, who, body, content_type)
        record(kind, status, data)

    upload_requests = 4 + -(-spec["upload_bytes"] // UPLOAD_RANGE)  # draft, session, ranges, $value, DELETE
    tour = list(MIX)  # every kind once first, so that a short run sends each of them

    async def worker() -> None:
        conn = RawConnection(host, port)
        try:
            while state["issued"] < total:
                kind = tour.pop(0) if tour else rng.choices(kinds, weights)[0]
                state["issued"] += upload_requests if kind.name == "upload_large" else kind.requests
                turn = state["issued"]
                began = time.perf_counter()
                await one(conn, kind, turn)
                took = time.perf_counter() - began
                spent = seconds[kind.name]
                spent[0] += took
                spent[1] = max(spent[1], took)
                spent[2] += 1
        finally:
            conn.close()

    started = time.time()
    milestones.append((0, started))
    await asyncio.gather(*(worker() for _ in range(spec["concurrency"])))
    milestones.append((state["answered"], time.time()))
    return {"counts": counts, "seconds_by_kind": seconds, "failed": state["failed"], "resent": state["resent"],
            "samples": samples, "answered": state["answered"],
            "milestones": milestones, "seconds": time.time() - started,
            "body_bytes": {name: len(body) for name, body in made.items()}}


def loadgen_main() -> None:
    spec = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(asyncio.run(run_load(spec))))


# ----------------------------------------------------------------------------- RSS

def rss_kib(pid: int) -> int:
    """VmRSS of a process in KiB (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


class RssSampler:
    """Samples (time.time(), server KiB, its children's KiB) in a thread until stopped."""

    def __init__(self, pid: int, interval: float) -> None:
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> tuple[float, int, int]:
        taken = (time.time(), rss_kib(self.pid), sum(rss_kib(child) for child in _children(self.pid)))
        self.samples.append(taken)
        return taken

    def _run(self) -> None:
        started = last_shown = time.time()
        while not self._stop.wait(self.interval):
            taken = self.sample()
            if taken[0] - last_shown >= PROGRESS_EVERY_S:  # a long run shows where it is going
                last_shown = taken[0]
                print(f"  t={taken[0] - started:6.0f} s  RSS {mib(taken[1] + taken[2])} (server {mib(taken[1])})",
                      flush=True)

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sample()


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def at_time(samples: list[tuple[float, int, int]], when: float) -> tuple[float, int, int]:
    """The first sample taken at or after `when` (the last one if none)."""
    return next((s for s in samples if s[0] >= when), samples[-1])


# ----------------------------------------------------------------------------- orchestration

def main() -> None:
    parser = argparse.ArgumentParser(description="graphpost memory soak (see bench/README.md)")
    parser.add_argument("--requests", type=int, default=100_000, help="requests to send [100000]")
    parser.add_argument("--warmup-requests", type=int, help="requests after which the bound applies "
                        "[10%% of --requests, at most 10000]")
    parser.add_argument("--concurrency", type=int, default=8, help="connections, one request in flight each [8]")
    parser.add_argument("--rss-bound-mb", type=float, default=350.0,
                        help="the server's RSS (with its child processes) must stay under this after the "
                        "warm-up, in MiB [350]")
    parser.add_argument("--upload-mib", type=float, default=24.0, help="size of the upload-session attachment, "
                        "in MiB (Graph: 2 MiB to 150 MB) [24]")
    parser.add_argument("--sample-interval", type=float, default=0.5, help="seconds between RSS samples [0.5]")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="idle time after the load before the "
                        "last sample [3]")
    parser.add_argument("--weight", action="append", default=[], metavar="KIND=WEIGHT",
                        help="change a kind's weight in the mix (MIX in this file), e.g. upload_large=1 to look "
                        "at large attachments; repeatable")
    parser.add_argument("--database-url", help="graphpost's database (default: SQLite in a fresh temp data dir)")
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the server (e.g. MALLOC_ARENA_MAX=2); repeatable")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (server logs, database)")
    parser.add_argument("--loadgen", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        loadgen_main()
        return
    if not 2 <= args.upload_mib <= 143:
        parser.error("need 2 <= --upload-mib <= 143 (Graph's upload sessions: 2 MiB to 150 MB)")
    if args.requests < 1 or not 1 <= args.concurrency <= 256 or args.sample_interval <= 0 or args.idle_seconds < 0:
        parser.error("need --requests >= 1, 1 <= --concurrency <= 256, --sample-interval > 0, --idle-seconds >= 0")
    warmup = args.warmup_requests if args.warmup_requests is not None else min(10_000, args.requests // 10)
    if not 0 <= warmup < args.requests:
        parser.error("need 0 <= --warmup-requests < --requests")
    env = dict(os.environ)
    for item in args.server_env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--server-env wants NAME=VALUE, not {item!r}")
        env[name] = value

    weights = {}
    for item in args.weight:
        name, sep, value = item.partition("=")
        if not sep or name not in {kind.name for kind in MIX}:
            parser.error(f"--weight wants KIND=WEIGHT with a kind of {[kind.name for kind in MIX]}, not {item!r}")
        try:
            weights[name] = float(value)
        except ValueError:
            parser.error(f"--weight {item!r}: the weight is not a number")

    # Stopped early (SIGTERM, or SIGINT where a background shell ignores it): stop the server too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="graphpost-soak-"))
    data_dir = tmp / "data"
    servers: list[Server] = []
    failures: list[str] = []
    try:
        print(f"graphpost soak: {args.requests:,} requests of mixed traffic, concurrency {args.concurrency}, "
              f"on {HOST}; RSS sampled every {args.sample_interval:g} s; bound {args.rss_bound_mb:g} MiB after "
              f"{warmup:,} warm-up requests")
        print(f"machine: nproc={os.cpu_count()}, python {sys.version.split()[0]}, {sys.platform}"
              + (f"; server environment: {' '.join(args.server_env)}" if args.server_env else "")
              + (f"; weights changed: {' '.join(args.weight)}" if args.weight else ""))
        common = ["--data-dir", str(data_dir)]
        if args.database_url:
            common += ["--database-url", args.database_url]
        graphpost_cli(["user", "add", CAROL, "--name", "Carol"], common)  # alice and bob come with a new store
        alice = graphpost_cli(["token", "--user", ALICE], common)
        bob = graphpost_cli(["token", "--user", BOB], common)
        gp = Server("graphpost", [str(Path(sys.executable).with_name("graphpost")), "serve", "--port", "0", *common],
                    tmp, env=env)
        servers.append(gp)
        time.sleep(min(1.0, args.idle_seconds))  # let start-up finish (the writer process starts on a write)
        spec = {"host": HOST, "port": gp.port, "requests": args.requests, "concurrency": args.concurrency,
                "alice": alice, "bob": bob, "weights": weights, "upload_bytes": int(args.upload_mib * 1024 * 1024)}
        # A generous deadline (10 requests/s at least: the large kinds take seconds each on a busy
        # machine), so that a stuck server cannot hold the run forever.
        deadline = 300 + args.requests / 10 + REQUEST_TIMEOUT_S
        with RssSampler(gp.proc.pid, args.sample_interval) as sampler:
            try:
                done = subprocess.run([sys.executable, __file__, "--loadgen"], input=json.dumps(spec),
                                      capture_output=True, text=True, timeout=deadline)
            except subprocess.TimeoutExpired:
                raise SystemExit(f"the load did not finish within {deadline:,.0f} s; RSS samples so far (MiB): "
                                 + " ".join(f"{(s[1] + s[2]) / 1024:.0f}" for s in sampler.samples[-40:]))
            if done.returncode != 0:
                raise SystemExit(f"load generator failed:\n{done.stderr[-3000:]}")
            result = json.loads(done.stdout)
            load_end = sampler.sample()
            time.sleep(args.idle_seconds)
        samples = sampler.samples
        idle = samples[-1]
        if gp.proc.poll() is not None:
            failures.append(f"the server exited during the run (code {gp.proc.returncode})")

        milestones = result["milestones"]
        started_at = milestones[0][1]
        warm_at = next((t for n, t in milestones if n >= warmup), milestones[-1][1])
        before = samples[0]
        after_warmup = at_time(samples, warm_at)
        measured = [s for s in samples if s[0] >= after_warmup[0]]
        peak = max(samples, key=lambda s: s[1] + s[2])
        peak_measured = max(measured, key=lambda s: s[1] + s[2])

        def line(label: str, s: tuple[float, int, int]) -> str:
            answered = max((n for n, t in milestones if t <= s[0]), default=0)
            return (f"  {label:<34} {mib(s[1] + s[2]):>10}  (server {mib(s[1])}, child processes {mib(s[2])}; "
                    f"t={s[0] - started_at:7.1f} s, ~{answered:,} requests answered)")

        print()
        print(f"load: {result['answered']:,} requests answered in {result['seconds']:.1f} s "
              f"({result['answered'] / max(result['seconds'], 1e-9):,.0f} req/s); request bodies: "
              + ", ".join(f"{k} {v:,} B" for k, v in result["body_bytes"].items()))
        print(f"answers by kind (status: count); idempotent requests resent once after the server closed an idle "
              f"keep-alive connection: {result['resent']}")
        for kind in MIX:
            statuses = result["counts"][kind.name]
            shown = ", ".join(f"{status}: {n:,}" for status, n in sorted(statuses.items()))
            spent, longest, ops = result["seconds_by_kind"][kind.name]
            timing = f"; mean {spent / ops * 1000:,.1f} ms, longest {longest * 1000:,.0f} ms" if ops else ""
            print(f"  {kind.name:<18} expects {kind.expect}  {shown or 'none sent'}{timing}")
        for sample in result["samples"]:
            print(f"  unexpected: {sample}")
        if result["failed"]:
            failures.append(f"{result['failed']} answers were not what their kind expects")

        print()
        print(f"RSS of graphpost serve (VmRSS, the server process + its child processes), {len(samples)} samples:")
        print(line("before the load", before))
        print(line(f"after the warm-up ({warmup:,} requests)", after_warmup))
        print(line("peak (whole run)", peak))
        print(line("peak after the warm-up", peak_measured))
        print(line("end of the load", load_end))
        print(line(f"after {args.idle_seconds:g} s idle", idle))
        grown = (load_end[1] + load_end[2]) - (after_warmup[1] + after_warmup[2])
        later = max(1, result["answered"] - warmup)
        print(f"  growth from the warm-up to the end of the load: {grown / 1024:+,.1f} MiB over {later:,} requests "
              f"({grown / 1024 / later * 10_000:+,.2f} MiB per 10,000 requests)")
        bound_kib = args.rss_bound_mb * 1024
        within = peak_measured[1] + peak_measured[2] <= bound_kib
        print(f"rss bound: {'within' if within else 'EXCEEDED'} {args.rss_bound_mb:g} MiB after the warm-up "
              f"(peak {mib(peak_measured[1] + peak_measured[2])})")
        if not within:
            failures.append(f"RSS peaked at {mib(peak_measured[1] + peak_measured[2])} after the warm-up, over the "
                            f"bound of {args.rss_bound_mb:g} MiB")
        report_check(failures)
    finally:
        shut_down(servers, tmp, args.keep)


if __name__ == "__main__":
    main()
