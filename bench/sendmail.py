"""Load driver for graphpost's send path: bare 202 vs sendMail vs draft + send, in one run.

    .venv/bin/python bench/sendmail.py [--seconds 10] [--concurrency 16] [--warmup 2]
                                       [--database-url URL] [--client raw|httpx|wrk] [--keep]

Everything runs on 127.0.0.1 and stops by itself:
  1. a bare server (bench/bare_app.py: FastAPI + uvicorn exactly as `graphpost serve` runs them,
     one `POST /bare` route answering 202 with an empty body) -> workload (a);
  2. a real `graphpost serve` on a fresh temporary data dir (SQLite there, or --database-url),
     with users carol and dave added and a delegated token minted for alice ->
     (b) POST /v1.0/me/sendMail, ~1.4 KB of JSON, to bob, carol, dave and cc alice;
     (c) POST /v1.0/me/messages (the same message) then POST /v1.0/me/messages/{id}/send;
  3. a check through the API that every accepted message landed where it should.

The load comes from a separate process (this file with --loadgen): an asyncio client holding
`--concurrency` keep-alive HTTP/1.1 connections, each with one request in flight. By default it is
a small raw HTTP/1.1 client over asyncio streams (cheapest in CPU); `--client httpx` uses
httpx.AsyncClient instead; `--client wrk` drives (a) and (b) with wrk (Debian's package; (c) keeps
the raw client, as it must read each draft's id). Each workload runs `--warmup` seconds, then is measured for
`--seconds`; only responses completed inside the measured window count towards rates and
latencies, but every response of the whole run counts towards errors and the final check.
Any non-2xx answer (or a connection error/timeout) is an error and is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# The load generator's clients, the measured window, child servers: bench/harness.py, shared with
# bench/read.py. bench/delivery.py imports some of them from this module (_cpu_ticks is for it).
from harness import (HOST, REQUEST_TIMEOUT_S, ROOT, HttpxClient, RawClient, Series, Server,  # noqa: E402,F401
                     _cpu_ticks, _timed, api_get, fmt, graphpost_cli, print_result, ratio, run_loadgen,
                     run_window, run_wrk, add_load_arguments, check_load_arguments, shut_down)

DOMAIN = "contoso.test"
SENDER = f"alice@{DOMAIN}"
TO = [f"bob@{DOMAIN}", f"carol@{DOMAIN}", f"dave@{DOMAIN}"]
CC = [SENDER]  # alice copies herself: 4 local deliveries + the Sent Items copy per message
TARGET_JSON_BYTES = 1400  # the sendMail request body, padded to this size
LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "


# ----------------------------------------------------------------------------- request bodies

def message_bodies() -> tuple[bytes, bytes]:
    """(sendMail body, draft body): the same message; the sendMail JSON padded to ~1.4 KB."""

    def message(pad: int) -> dict[str, Any]:
        content = ("<html><body><p>Hello team,</p><p>This is a graphpost benchmark message.</p>"
                   f"<p>{(LOREM * (pad // len(LOREM) + 1))[:pad]}</p></body></html>")
        return {
            "subject": "graphpost bench: quarterly figures",
            "importance": "normal",
            "body": {"contentType": "HTML", "content": content},
            "toRecipients": [{"emailAddress": {"address": a, "name": a.split("@")[0].title()}} for a in TO],
            "ccRecipients": [{"emailAddress": {"address": a, "name": a.split("@")[0].title()}} for a in CC],
        }

    def send_mail(pad: int) -> bytes:
        return json.dumps({"message": message(pad), "saveToSentItems": True}).encode()

    pad = max(0, TARGET_JSON_BYTES - len(send_mail(0)))
    return send_mail(pad), json.dumps(message(pad)).encode()


# ----------------------------------------------------------------------------- load generator


async def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    host, port, workload = spec["host"], spec["port"], spec["workload"]
    concurrency, warmup, seconds = spec["concurrency"], spec["warmup"], spec["seconds"]
    client: Any = (HttpxClient(host, port, spec.get("token"), concurrency) if spec["client"] == "httpx"
                   else RawClient(host, port, spec.get("token")))
    send_mail_body, draft_body = message_bodies()
    series = {name: Series() for name in
              {"bare": ["bare"], "sendmail": ["sendmail"], "draft_send": ["op", "create", "send"]}[workload]}

    async def worker(t0: float, t1: float) -> None:
        conn = client.connection()
        if workload == "bare":
            head, body = client.head("/bare", send_mail_body), send_mail_body
        elif workload == "sendmail":
            head, body = client.head("/v1.0/me/sendMail", send_mail_body), send_mail_body
        else:
            head, body = client.head("/v1.0/me/messages", draft_body), draft_body
        try:
            while True:
                began = time.perf_counter()
                if began >= t1:
                    return
                status, data = await _timed(client, conn, head, body)
                ended = time.perf_counter()
                if workload != "draft_send":
                    series[workload].record(status, began, ended, t0, t1, data)
                    continue
                if not series["create"].record(status, began, ended, t0, t1, data):
                    series["op"].record(status, began, ended, t0, t1, data)
                    continue
                message_id = json.loads(data)["id"]
                sent_at = time.perf_counter()
                status, data = await _timed(client, conn, client.head(f"/v1.0/me/messages/{message_id}/send", b""),
                                            b"")
                ended = time.perf_counter()
                series["send"].record(status, sent_at, ended, t0, t1, data)
                series["op"].record(status, began, ended, t0, t1, data)
        finally:
            if conn is not None:
                conn.close()

    cpu = await run_window(worker, concurrency, warmup, seconds, spec.get("server_pid"))
    await client.aclose()
    return {"workload": workload, "client": client.name, "concurrency": concurrency, "seconds": seconds,
            "warmup": warmup, "series": {name: s.summary(seconds) for name, s in series.items()},
            **cpu, "body_bytes": {"sendmail": len(send_mail_body), "draft": len(draft_body)}}


def loadgen_main() -> None:
    spec = json.loads(sys.stdin.read())
    result = asyncio.run(run_load(spec))
    sys.stdout.write(json.dumps(result))


# ----------------------------------------------------------------------------- orchestration

def load(port: int, workload: str, args: argparse.Namespace, tmp: Path, token: str | None = None,
         server_pid: int | None = None) -> dict[str, Any]:
    if args.client == "wrk" and workload != "draft_send":
        path = {"bare": "/bare", "sendmail": "/v1.0/me/sendMail"}[workload]
        result = run_wrk(HOST, port, path, message_bodies()[0], token, args.concurrency, args.warmup, args.seconds,
                         server_pid, tmp)
        result["series"] = {workload: result["series"]["requests"]}
        return {"workload": workload, **result}
    # (c) needs the id of each draft it created: wrk's one-body script cannot, our client does.
    client = "raw" if args.client == "wrk" else args.client
    spec = {"host": HOST, "port": port, "workload": workload, "concurrency": args.concurrency,
            "warmup": args.warmup, "seconds": args.seconds, "client": client, "token": token,
            "server_pid": server_pid}
    return run_loadgen(__file__, spec, timeout=args.warmup + args.seconds + REQUEST_TIMEOUT_S + 60)


def folder_counts(port: int, tokens: dict[str, str]) -> dict[str, int]:
    counts = {}
    for user, token in tokens.items():
        folders = ["inbox", "sentitems", "drafts"] if user == SENDER else ["inbox"]
        for folder in folders:
            counts[f"{user.split('@')[0]} {folder}"] = api_get(port, token, f"/v1.0/me/mailFolders/{folder}")[
                "totalItemCount"]
    return counts


def durability(database_url: str | None, data_dir: Path) -> str:
    if database_url and not database_url.startswith("sqlite"):
        setting = "unknown"
        try:
            import asyncpg  # type: ignore[import-not-found,import-untyped,unused-ignore]

            async def show() -> str:
                conn = await asyncpg.connect(re.sub(r"^postgresql\+\w+://", "postgresql://", database_url))
                try:
                    return str(await conn.fetchval("SHOW synchronous_commit"))
                finally:
                    await conn.close()
            setting = asyncio.run(show())
        except Exception as exc:  # noqa: BLE001 - only a report line
            setting = f"could not ask ({type(exc).__name__})"
        return (f"PostgreSQL, synchronous_commit={setting}: every 202 is answered after its transaction "
                "commits")
    import sqlite3
    files = list(data_dir.glob("*.db")) or list(data_dir.glob("*.sqlite*"))
    mode = "?"
    if files:
        with sqlite3.connect(files[0]) as conn:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    from graphpost.store.sqlite_pragmas import SYNCHRONOUS
    return (f"SQLite journal_mode={mode} (read from {files[0].name if files else 'no file found'}), "
            f"synchronous={SYNCHRONOUS} (graphpost/store/sqlite_pragmas.py): every 202 is "
            "answered after its transaction commits to the WAL, so a killed process loses nothing "
            "(only an OS crash or power loss could lose the last commits)")



def start_profiler(args: argparse.Namespace, pid: int, profile: Path, tmp: Path) -> subprocess.Popen[bytes] | None:
    """py-spy on the graphpost process for one workload (warm-up and window)."""
    if not args.py_spy:
        return None
    with open(tmp / "py-spy.log", "wb") as spy_log:
        return subprocess.Popen([args.py_spy, "record", "--pid", str(pid), "--rate", "250",
                                 "--format", "raw", "--full-filenames", "--threads", "--nonblocking",
                                 "--duration", str(int(args.warmup + args.seconds)), "-o", str(profile)],
                                stdout=spy_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stop_profiler(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is None:
        return
    try:
        spy.wait(60)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait(5)


def print_profile(path: Path, log: str, workload: str, top: int = 25) -> None:
    """Hotspots from py-spy's collapsed stacks: self time by function, and inclusive time."""
    if not path.exists():
        print(f"py-spy wrote no profile:\n{log[-2000:]}")
        return
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_frame_name(frame) for frame in stack.split(";")[1:]]  # [0] is the thread
        if not frames or frames[-1].startswith(IDLE_FRAMES):
            continue
        total += n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
    if not total:
        print("py-spy recorded no samples")
        return
    print(f"profile of graphpost during ({workload}) (py-spy, all threads, {total} busy samples; samples idle in "
          f"select/queue waits left out; raw stacks: {path}):")
    print("  self time (where the CPU is spent):")
    for name, n in sorted(own.items(), key=lambda kv: -kv[1])[:top]:
        print(f"    {n / total * 100:5.1f}%  {name}")
    print("  inclusive time (graphpost and library entry points):")
    shown = 0
    for name, n in sorted(inclusive.items(), key=lambda kv: -kv[1]):
        if "graphpost/" in name or any(k in name for k in ("sqlalchemy/", "aiosqlite/", "asyncpg/", "fastapi/",
                                                            "pydantic", "jwt/", "json/", "logging/", "copy.py")):
            print(f"    {n / total * 100:5.1f}%  {name}")
            shown += 1
            if shown >= top:
                break


IDLE_FRAMES = ("EpollSelector.select ", "Condition.wait ", "SimpleQueue.get ", "Event.wait ")


def _frame_name(frame: str) -> str:
    """`func (path/to/file.py:123)` -> `func (shortened/file.py)`; line numbers dropped."""
    found = re.match(r"(.*) \((.*?)(?::\d+)?\)$", frame.strip())
    if not found:
        return frame.strip()
    name, filename = found.groups()
    for marker in ("site-packages/", "/lib/python3"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    filename = filename.replace(str(ROOT) + "/", "")
    return f"{name} ({filename})"


def main() -> None:
    parser = argparse.ArgumentParser(description="graphpost sendMail benchmark (see bench/README.md)")
    add_load_arguments(parser)
    parser.add_argument("--database-url", help="graphpost's database (default: SQLite in a fresh temp data dir)")
    parser.add_argument("--client", choices=["raw", "httpx", "wrk"], default="raw",
                        help="load generator client [raw]; wrk drives (a) and (b), raw (c)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (server logs, database)")
    parser.add_argument("--py-spy", metavar="PATH", help="profile graphpost during (b) with this py-spy binary "
                        "(the profiler slows the server: use the figures of a run without it)")
    parser.add_argument("--profile", choices=("b", "c"), default="b", help="the workload --py-spy profiles [b]")
    parser.add_argument("--profile-out", metavar="FILE", help="where to write the raw py-spy stacks")
    args = parser.parse_args()
    if args.loadgen:
        loadgen_main()
        return
    check_load_arguments(parser, args)

    tmp = Path(tempfile.mkdtemp(prefix="graphpost-bench-"))
    data_dir = tmp / "data"
    servers: list[Server] = []
    try:
        send_mail_body, draft_body = message_bodies()
        print(f"graphpost bench: {args.seconds:g} s measured (+{args.warmup:g} s warm-up) per workload, "
              f"concurrency {args.concurrency}, on {HOST}")
        print(f"machine: nproc={os.cpu_count()}, python {sys.version.split()[0]}, {sys.platform}")
        print(f"bodies: sendMail JSON {len(send_mail_body)} bytes, draft JSON {len(draft_body)} bytes; "
              f"to {', '.join(TO)}; cc {', '.join(CC)}")

        # (a) the bare server: same stack, no graphpost.
        bare = Server("bare", [sys.executable, str(HERE / "bare_app.py"), "--port", "0"], tmp)
        servers.append(bare)
        a = load(bare.port, "bare", args, tmp, server_pid=bare.proc.pid)
        bare.stop()
        print(f"load generator: {a['client']}, in a separate process"
              + (" (raw for (c))" if a["client"] == "wrk" else ""))

        # (b), (c): a real graphpost serve on a fresh data dir.
        common = ["--data-dir", str(data_dir)]
        if args.database_url:
            common += ["--database-url", args.database_url]
        tokens = {SENDER: graphpost_cli(["token", "--user", SENDER], common)}  # makes and seeds a new store
        existing = graphpost_cli(["user", "list"], common)  # which refuses a data dir without a store
        for user in ("carol", "dave"):
            if f" {user}@{DOMAIN} " not in existing + " ":
                graphpost_cli(["user", "add", f"{user}@{DOMAIN}"], common)
        for address in TO:
            tokens[address] = graphpost_cli(["token", "--user", address, "--scope", "Mail.Read"], common)
        gp = Server("graphpost", [str(Path(sys.executable).with_name("graphpost")), "serve", "--port", "0", *common],
                    tmp)
        servers.append(gp)
        before = folder_counts(gp.port, tokens)
        profile = (Path(args.profile_out) if args.profile_out else tmp / "sendmail.pyspy.txt").resolve()
        spy = start_profiler(args, gp.proc.pid, profile, tmp) if args.profile == "b" else None
        b = load(gp.port, "sendmail", args, tmp, tokens[SENDER], gp.proc.pid)
        stop_profiler(spy)
        spy = start_profiler(args, gp.proc.pid, profile, tmp) if args.profile == "c" else spy
        c = load(gp.port, "draft_send", args, tmp, tokens[SENDER], gp.proc.pid)
        stop_profiler(spy)
        after = folder_counts(gp.port, tokens)
        gp.stop()

        rate_a = a["series"]["bare"]["rate"]
        print()
        print(f"results (rates over the {args.seconds:g} s window; latencies of successful requests):")
        print_result("(a) POST /bare (bare 202, same stack)", a, "bare")
        print_result("(b) POST /v1.0/me/sendMail", b, "sendmail")
        print_result("(c) create draft + send (one op = the pair)", c, "op", "ops/s")
        print_result("    (c) POST /v1.0/me/messages (201)", c, "create")
        print_result("    (c) POST /v1.0/me/messages/{id}/send (202)", c, "send")
        c_requests = c["series"]["create"]["rate"] + c["series"]["send"]["rate"]
        print(f"      (c) all requests: {fmt(c_requests)} req/s")
        print()
        rate_b, rate_c = b["series"]["sendmail"]["rate"], c["series"]["op"]["rate"]
        print(f"ratio b/a = {fmt(ratio(rate_b, rate_a), 3)}   (goal on SQLite: >= 0.35)")
        print(f"ratio c/a = {fmt(ratio(rate_c, rate_a), 3)}   (ops of create+send; "
              f"per request: {fmt(ratio(c_requests, rate_a), 3)})")
        # Server CPU seconds per request: a rate / CPU share, so other load on the machine matters less.
        cpu_a, cpu_b, cpu_c = (ratio(r["server_cpu_pct"], rate) for r, rate in ((a, rate_a), (b, rate_b), (c, rate_c)))
        print(f"same ratios from server CPU per request (steadier when other processes share the cores): "
              f"b/a = {fmt(ratio(cpu_a, cpu_b), 3)}, c/a = {fmt(ratio(cpu_a, cpu_c), 3)}")
        print()
        print("CPU during the window (100% = one core; the machine has "
              f"{os.cpu_count()}): server (its event-loop thread; other threads and processes) / load generator")
        for label, r, name in (("(a)", a, "bare"), ("(b)", b, "sendmail"), ("(c)", c, "op")):
            rate = r["series"][name]["rate"]
            per = r["server_cpu_pct"] / 100 / rate * 1000 if rate else float("nan")
            loop_pct, total_pct = r["server_loop_cpu_pct"], r["server_cpu_pct"]
            print(f"  {label} {fmt(total_pct, 0):>4}% ({fmt(loop_pct, 0)}%; {fmt(total_pct - loop_pct, 0)}%) / "
                  f"{fmt(r['loadgen_cpu_pct'], 0):>4}%   "
                  f"server CPU per {'op' if name == 'op' else 'request'}: {fmt(per, 2)} ms")
        if args.py_spy:
            print()
            print_profile(profile, (tmp / "py-spy.log").read_text(errors="replace"), args.profile)
        print()
        print("durability: " + durability(args.database_url, data_dir))

        # The check: every accepted message is where it should be, exactly once.
        sent_ok = b["series"]["sendmail"]["ok_total"] + c["series"]["send"]["ok_total"]
        created = c["series"]["create"]["ok_total"]
        expected = {f"{u.split('@')[0]} inbox": sent_ok for u in TO + CC}
        expected["alice sentitems"] = sent_ok
        expected["alice drafts"] = created - c["series"]["send"]["ok_total"]
        print()
        print(f"check via the API: {b['series']['sendmail']['ok_total']} sendMail 202s + "
              f"{c['series']['send']['ok_total']} send 202s = {sent_ok} accepted; {created} drafts created")
        # wrk does not count what was in flight when it stopped; the server may have accepted it.
        slack = b["series"]["sendmail"].get("in_flight_max", 0)
        if slack:
            print(f"  (wrk: up to {slack} sendMail requests in flight at its stops were not counted: "
                  f"each count may exceed its expected figure by that much)")
        failed = False
        for key, want in sorted(expected.items()):
            got = after[key] - before[key]
            good = want <= got <= want + (0 if key == "alice drafts" else slack)
            failed |= not good
            print(f"  {key:<16} totalItemCount +{got:<7} expected +{want:<7} {'ok' if good else 'MISMATCH'}")
        errors = sum(r["series"][n]["errors_total"] for r, n in ((a, "bare"), (b, "sendmail"), (c, "op")))
        print(f"check: {'FAILED' if failed else 'passed'}; non-2xx/failed requests in the whole run: {errors}")
        if failed or errors:
            sys.exit(1)
    finally:
        shut_down(servers, tmp, args.keep)


if __name__ == "__main__":
    main()
