"""Load driver for graphpost's read path: bare GET vs listing a 100,000-message Inbox, in one run.

    .venv/bin/python bench/read.py [--seconds 10] [--warmup 2] [--concurrency 16]
                                   [--messages 100000] [--unread 0.2] [--database-url URL] [--keep]

Everything runs on 127.0.0.1 and stops by itself (each workload lasts warm-up + seconds, every
request has a 60 s timeout, the servers are stopped at the end, also on errors):
  1. (a) the bare ceiling: bench/bare_app.py (FastAPI + uvicorn exactly as `graphpost serve` runs
     them), `GET /bare`, a small fixed JSON body;
  2. a fresh data dir: `graphpost user add reader@contoso.test` (creates and migrates the store;
     on PostgreSQL the database's public schema is emptied first), a Mail.Read token for reader,
     then --messages received messages written straight into reader's Inbox with graphpost's own
     code (rows built as the inbound path builds them: mail/messages.new_draft +
     mail/deliveries.received_copies; inserted with store/bulk.insert_rows in batches);
  3. `graphpost serve --port 0` on that store, and, with reader's token:
     (b) GET /v1.0/me/mailFolders/inbox/messages?$top=50
     (c) GET /v1.0/me/mailFolders/inbox/messages?$filter=isRead eq false&$top=50
     (d) GET /v1.0/me/messages?$orderby=receivedDateTime desc&$top=50
  4. the check: before each workload the driver asks once and compares the answer with what it
     seeded (the 50 newest messages, or the 50 newest unread ones, in receivedDateTime desc
     order, same ids); during the load, every answer must be 200 and byte-identical to the
     checked one. A workload whose answer is an error or wrong is reported and not measured.

The load comes from a separate process (this file with --loadgen), bench/harness.py's raw
HTTP/1.1 client: `--concurrency` keep-alive connections, one request in flight on each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import (HOST, REQUEST_TIMEOUT_S, RawClient, Series, Server, _timed, fmt, graphpost_cli,  # noqa: E402
                     print_result, processes_cpu, ratio, run_loadgen, run_window, add_load_arguments,
                     check_load_arguments, report_check, shut_down)

DOMAIN = "contoso.test"
READER = f"reader@{DOMAIN}"
TOP = 50
SEED_TIMEOUT_S = 1800.0  # writing the mailbox; a stuck database cannot hold the run forever

# label, path (as sent on the wire), what the answer must be
WORKLOADS: dict[str, tuple[str, str, str]] = {
    "bare": ("(a) GET /bare (bare JSON, same stack)", "/bare", "bare"),
    "inbox": ("(b) inbox $top=50", f"/v1.0/me/mailFolders/inbox/messages?$top={TOP}", "newest"),
    "filter": ("(c) inbox $filter=isRead eq false $top=50",
               f"/v1.0/me/mailFolders/inbox/messages?$filter=isRead%20eq%20false&$top={TOP}", "unread"),
    "orderby": ("(d) messages $orderby=receivedDateTime desc",
                f"/v1.0/me/messages?$orderby=receivedDateTime%20desc&$top={TOP}", "newest"),
}
# Asked once, to tell a working $orderby from one that is ignored (the default order is the same).
ORDERBY_ASC = f"/v1.0/me/messages?$orderby=receivedDateTime%20asc&$top={TOP}"


# ----------------------------------------------------------------------------- load generator

async def run_load(spec: dict[str, Any]) -> dict[str, Any]:
    client = RawClient(spec["host"], spec["port"], spec.get("token"))
    series = Series()
    bodies: dict[str, int] = {}  # "length crc32" of every 2xx answer of the run -> how many
    window_bytes = [0]  # bytes of the 2xx bodies completed in the window
    head = client.head(spec["path"], b"", method="GET")

    async def worker(t0: float, t1: float) -> None:
        conn = client.connection()
        try:
            while True:
                began = time.perf_counter()
                if began >= t1:
                    return
                status, data = await _timed(client, conn, head, b"")
                ended = time.perf_counter()
                if series.record(status, began, ended, t0, t1, data):
                    key = f"{len(data)} {zlib.crc32(data)}"
                    bodies[key] = bodies.get(key, 0) + 1
                    if t0 <= ended <= t1:
                        window_bytes[0] += len(data)
        finally:
            conn.close()

    others = {"postgres": lambda: processes_cpu("postgres")} if spec.get("postgres") else None
    cpu = await run_window(worker, spec["concurrency"], spec["warmup"], spec["seconds"], spec.get("server_pid"),
                           others)
    await client.aclose()
    return {"client": client.name, "series": {"all": series.summary(spec["seconds"])}, "bodies": bodies,
            "window_bytes": window_bytes[0], **cpu}


def loadgen_main() -> None:
    spec = json.loads(sys.stdin.read())
    sys.stdout.write(json.dumps(asyncio.run(run_load(spec))))


# ----------------------------------------------------------------------------- the mailbox

SENDER_DOMAINS = ["fabrikam.test", "northwind.test", "adventure-works.test", "tailspin.test", "wingtip.test",
                  DOMAIN]
FIRST = ["Ana", "Ben", "Chloe", "Dmitri", "Elif", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemal", "Lena",
         "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tariq", "Uma", "Viktor", "Wen", "Yara"]
LAST = ["Novak", "Schmidt", "Okafor", "Tanaka", "Moreau", "Silva", "Kowalski", "Haddad", "Larsen", "Rossi",
        "Nguyen", "Fischer", "Garcia", "Ivanova", "Brennan"]
TOPICS = ["Quarterly figures", "Release plan", "Invoice", "Meeting notes", "Travel booking", "Contract draft",
          "Budget review", "Customer escalation", "Design review", "Onboarding", "Security advisory",
          "Weekly status", "Offsite agenda", "Purchase order", "Support ticket", "Hiring loop"]
WORDS = ("the team reviewed figures for next quarter and agreed to move the deadline while the customer "
         "asked about delivery dates pricing and the support contract please find attached notes from "
         "yesterday meeting with open questions on budget scope staffing risks and the migration of the "
         "legacy system we expect a decision by friday after legal has read the draft let me know if "
         "anything is missing or wrong so that we can update the plan and send it to everyone").split()


def _paragraphs(rng: random.Random, count: int) -> list[str]:
    """A pool of prose paragraphs, 150-450 characters each."""
    pool = []
    for _ in range(count):
        words: list[str] = []
        size = rng.randint(150, 450)
        while sum(len(w) + 1 for w in words) < size:
            words.append(rng.choice(WORDS))
        text = " ".join(words)
        pool.append(text[0].upper() + text[1:] + ".")
    return pool


def _html_bodies(rng: random.Random, pool: list[str], count: int) -> list[str]:
    """`count` distinct starts of HTML bodies, ~850-1,950 characters each, as a mail client writes
    them; each message ends its start with a line of its own and a signature (`_html_end`)."""
    bodies = []
    for _ in range(count):
        size = rng.randint(850, 1500)
        parts = ['<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>'
                 '<body><div dir="ltr"><p>Hi,</p>']
        length = len(parts[0])
        while length < size:
            paragraph = f"<p>{rng.choice(pool)}</p>"
            parts.append(paragraph)
            length += len(paragraph)
        bodies.append("".join(parts))
    return bodies


def _html_end(number: int, sender_first: str) -> str:
    return f"<p>Reference {number:06d}.</p><p>Best regards,<br>{sender_first}</p></div></body></html>"


async def seed(database_url: str, upn: str, count: int, unread_share: float, batch: int,
               progress: Callable[[str], None]) -> dict[str, Any]:
    """Write `count` received messages into `upn`'s Inbox with graphpost's own code; returns what
    the answers must be (ids of the newest messages, of the newest unread ones, of the oldest)."""
    import sqlalchemy as sa

    from graphpost.mail.messages import new_draft
    from graphpost.mail.model import parse_message
    from graphpost.mail.preview import PREVIEW_LENGTH, body_preview
    from graphpost.mail.deliveries import received_copies
    from graphpost.mail import ids
    from graphpost.store import bulk, schema
    from graphpost.store import directory as directory_store
    from graphpost.store import mailbox as store
    from graphpost.store.database import Database

    rng = random.Random(20240601)
    pool = _paragraphs(rng, 400)
    # bodyPreview is the first 255 characters of the body's text: every body starts with one of
    # these (previews computed once, by graphpost's body_preview) and ends with a line of its
    # own, far past the first 255 characters (checked below on every 1,000th message).
    starts = [(html, body_preview("html", html)) for html in _html_bodies(rng, pool, 4000)]
    assert all(len(preview) == PREVIEW_LENGTH for _, preview in starts), "a body start shorter than a preview"
    senders = [(f"{first} {last}", f"{first.lower()}.{last.lower()}@{rng.choice(SENDER_DOMAINS)}")
               for first in FIRST for last in LAST]
    columns = [column.name for column in schema.messages.columns]
    db = Database(database_url)
    try:
        async with db.read() as conn:
            owner = await directory_store.user_by_upn(conn, upn)
            assert owner is not None, f"no user {upn}"
            inbox_id = await store.folder_id_of(conn, owner.id, "inbox")
        me = {"emailAddress": {"address": owner.mail, "name": owner.display_name}}
        # Received times: strictly increasing whole seconds (Graph shows whole seconds, and the
        # expected order must not depend on ties), spread over the last year up to a minute ago.
        mean_gap = max(2, int(365 * 86400 / max(count, 1)))
        gaps = [rng.randint(1, 2 * mean_gap - 1) for _ in range(count)]
        now = datetime.now(timezone.utc).replace(microsecond=0)
        at = now - timedelta(seconds=60 + sum(gaps))
        expected: list[tuple[datetime, str, bool]] = []  # (received_at, id, is_read), oldest first
        body_chars = [0]

        def message(i: int, at: datetime) -> dict[str, Any]:
            name, address = senders[rng.randrange(len(senders))]
            sender = {"emailAddress": {"address": address, "name": name}}
            others = [{"emailAddress": {"address": a, "name": n}} for n, a in rng.sample(senders, rng.randint(0, 3))]
            given = parse_message({
                "subject": f"{'RE: ' if rng.random() < 0.3 else ''}{rng.choice(TOPICS)} #{rng.randint(100, 9999)}",
                "from": sender,
                "toRecipients": [me, *others[:1]],
                "ccRecipients": others[1:],
                "importance": rng.choices(["normal", "high", "low"], [90, 7, 3])[0],
                "internetMessageId": ids.new_internet_message_id(address.rpartition("@")[2]),
            })[1]  # validated and normalised as a request's message is
            # As mail/receive.deliver does: the message as sent, then the recipient's copy.
            prototype = new_draft(owner, "", given, at - timedelta(seconds=rng.randint(1, 90)))
            # What new_draft does with a given body (its preview computed once per start above).
            start, preview = starts[rng.randrange(len(starts))]
            content = start + _html_end(i, name.split()[0])
            if i % 1000 == 0 and body_preview("html", content) != preview:
                raise SystemExit("bench/read.py: a body's preview is not its start's preview")
            prototype.data["body"] = {"contentType": "html", "content": content}
            prototype.data["bodyPreview"] = preview
            body_chars[0] += len(content)
            prototype.is_draft = False
            prototype.data["sender"] = sender
            row = received_copies(prototype, [(owner.id, inbox_id)], at)[0]
            row.is_read = rng.random() >= unread_share
            values = row.values()
            missing = [c for c in columns if values.get(c) is None]
            if missing:
                raise SystemExit(f"the seeder does not fill the messages columns {missing}: "
                                 "graphpost/store/schema.py changed; update bench/read.py")
            expected.append((at, row.id, row.is_read))
            return values

        insert_s = [0.0]

        async def insert(rows: list[dict[str, Any]]) -> None:
            began = time.perf_counter()
            async with db.write() as conn:
                await bulk.insert_rows(conn, schema.messages, rows)
            insert_s[0] += time.perf_counter() - began

        started = time.perf_counter()
        for first in range(0, count, batch):
            rows = []
            for i in range(first, min(count, first + batch)):
                at += timedelta(seconds=gaps[i])
                rows.append(message(i, at))
            await insert(rows)
            if (first + batch) % (batch * 5) == 0 and first + batch < count:
                done = first + batch
                progress(f"  seeded {done:,} messages ({done / (time.perf_counter() - started):,.0f}/s)")
        seeded_s = time.perf_counter() - started
        progress(f"  seeded {count:,} messages ({count / seeded_s:,.0f}/s)")
        if db.dialect == "postgresql":
            # What autovacuum would do soon after such an insert: statistics and the visibility map.
            async with db.writer.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.exec_driver_sql("VACUUM ANALYZE messages")
        vacuum_s = time.perf_counter() - started - seeded_s
        messages = schema.messages
        async with db.read() as conn:
            stored = await conn.execute(sa.select(sa.func.count(), sa.func.sum(sa.func.length(
                sa.cast(messages.c.data, sa.Text)))).where(messages.c.user_id == owner.id))
            stored_count, data_bytes = stored.one()
    finally:
        await db.dispose()
    newest = sorted(expected, key=lambda e: e[0], reverse=True)
    return {"user_id": owner.id, "count": count, "stored": stored_count, "data_bytes": int(data_bytes or 0),
            "body_chars": body_chars[0], "unread": sum(1 for e in expected if not e[2]),
            "seconds": seeded_s, "insert_s": insert_s[0], "vacuum_s": vacuum_s,
            "newest": [e[1] for e in newest[:TOP]],
            "unread_newest": [e[1] for e in newest if not e[2]][:TOP],
            "oldest": [e[1] for e in expected[:TOP]]}


async def empty_postgres(url: str) -> None:
    """Drop everything in the database's public schema (graphpost_bench is the bench's own), unless
    another client is connected to it."""
    import asyncpg  # type: ignore[import-not-found,import-untyped,unused-ignore]
    conn = await asyncpg.connect(re.sub(r"^postgresql\+\w+://", "postgresql://", url))
    try:
        others = await conn.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                     "AND pid <> pg_backend_pid()")
        if others:
            raise SystemExit(f"{others} other connection(s) to {await conn.fetchval('SELECT current_database()')}: "
                             "not emptying a database someone else is using")
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


# ----------------------------------------------------------------------------- orchestration

def load(port: int, path: str, args: argparse.Namespace, token: str | None, server_pid: int,
         postgres: bool) -> dict[str, Any]:
    spec = {"host": HOST, "port": port, "path": path, "concurrency": args.concurrency, "warmup": args.warmup,
            "seconds": args.seconds, "token": token, "server_pid": server_pid, "postgres": postgres}
    return run_loadgen(__file__, spec, timeout=args.warmup + args.seconds + REQUEST_TIMEOUT_S + 60)


def fetch(port: int, token: str | None, path: str) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def check_answer(port: int, token: str | None, path: str, want: str, seeded: dict[str, Any]) -> tuple[str | None, bytes]:
    """(None, body) if the answer is right, else (what is wrong, body)."""
    status, body = fetch(port, token, path)
    if status != 200:
        try:
            error = json.loads(body)["error"]
            said = f"{error.get('code')}: {error.get('message')}"
        except (ValueError, KeyError, TypeError):
            said = body[:300].decode("utf-8", "replace")
        return f"HTTP {status} ({said})", body
    try:
        value = json.loads(body)["value"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP 200 but not a collection: {body[:200]!r}", body
    if want == "bare":
        return None, body
    expected = seeded[{"newest": "newest", "unread": "unread_newest", "oldest": "oldest"}[want]]
    if len(value) != len(expected):  # fewer than TOP only on a tiny mailbox (fewer unread)
        return f"{len(value)} items, expected {len(expected)}", body
    times = [item.get("receivedDateTime") for item in value]
    ascending = want == "oldest"
    if any(t is None for t in times) or times != sorted(times, reverse=not ascending):
        return f"not in receivedDateTime {'asc' if ascending else 'desc'} order: {times[:3]}...", body
    problems = []
    if want == "unread":
        read = sum(1 for item in value if item.get("isRead") is not False)
        if read:
            problems.append(f"{read} of {TOP} items are read (isRead not false): the filter was not applied")
    got = [item.get("id") for item in value]
    if got != expected:
        first = next(i for i, (g, e) in enumerate(zip(got, expected)) if g != e)
        problems.append(f"not the expected {TOP} messages (first difference at position {first}; "
                        f"{len(set(got) & set(expected))} of {TOP} expected ids present)")
    return ("; ".join(problems) or None), body


def server_exception(server: Server) -> str:
    """The last exception the server logged (its stderr), for a 5xx answer."""
    lines = server.err.read_text(errors="replace").splitlines()
    found = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit)\b.*:", line)]
    return f"; the server logged: {found[-1][:400]}" if found else ""


def main() -> None:
    parser = argparse.ArgumentParser(description="graphpost read benchmark (see bench/README.md)")
    add_load_arguments(parser)
    parser.add_argument("--messages", type=int, default=100_000, help="messages in the Inbox [100000]")
    parser.add_argument("--unread", type=float, default=0.2, help="share of unread messages [0.2]")
    parser.add_argument("--batch", type=int, default=5000, help="rows per INSERT while seeding [5000]")
    parser.add_argument("--database-url", help="graphpost's database (default: SQLite in a fresh temp data dir); "
                        "a PostgreSQL database is emptied first (its public schema is dropped)")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (server logs, SQLite database)")
    args = parser.parse_args()
    if args.loadgen:
        loadgen_main()
        return
    check_load_arguments(parser, args)
    if args.messages < 2 * TOP or not 0 < args.unread < 1 or args.batch < 1:
        parser.error(f"need --messages >= {2 * TOP}, 0 < --unread < 1 and --batch >= 1")
    postgres = bool(args.database_url) and not args.database_url.startswith("sqlite")

    tmp = Path(tempfile.mkdtemp(prefix="graphpost-read-bench-"))
    data_dir = tmp / "data"
    servers: list[Server] = []
    failures: list[str] = []
    try:
        print(f"graphpost read bench: {args.seconds:g} s measured (+{args.warmup:g} s warm-up) per workload, "
              f"concurrency {args.concurrency}, on {HOST}")
        print(f"machine: nproc={os.cpu_count()}, python {sys.version.split()[0]}, {sys.platform}")

        # (a) the bare server: same stack, no graphpost.
        bare = Server("bare", [sys.executable, str(HERE / "bare_app.py"), "--port", "0"], tmp)
        servers.append(bare)
        results: dict[str, dict[str, Any]] = {}
        answers: dict[str, bytes] = {}
        problem, answers["bare"] = check_answer(bare.port, None, WORKLOADS["bare"][1], "bare", {})
        if problem:
            raise SystemExit(f"bare server: {problem}")
        results["bare"] = load(bare.port, WORKLOADS["bare"][1], args, None, bare.proc.pid, postgres)
        bare.stop()

        # The store: users with the CLI (which migrates), then the mailbox written directly.
        common = ["--data-dir", str(data_dir)]
        if args.database_url:
            common += ["--database-url", args.database_url]
            if postgres:
                asyncio.run(empty_postgres(args.database_url))
        graphpost_cli(["user", "add", READER, "--name", "Reader"], common)
        token = graphpost_cli(["token", "--user", READER, "--scope", "Mail.Read"], common)
        from graphpost.config import load_settings
        url = load_settings(None, {"data_dir": data_dir, "database_url": args.database_url}).sqlalchemy_url
        print(f"seeding {args.messages:,} received messages into {READER}'s Inbox "
              f"({'PostgreSQL' if postgres else 'SQLite'}, batches of {args.batch:,}, {args.unread:.0%} unread) ...")
        seeded = asyncio.run(asyncio.wait_for(
            seed(url, READER, args.messages, args.unread, args.batch, lambda line: print(line, flush=True)),
            SEED_TIMEOUT_S))
        print(f"seeded {seeded['stored']:,} messages in {seeded['seconds']:.1f} s "
              f"({seeded['count'] / seeded['seconds']:,.0f} messages/s; building the rows "
              f"{seeded['seconds'] - seeded['insert_s']:.1f} s, the INSERT transactions {seeded['insert_s']:.1f} s)"
              + (f", then VACUUM ANALYZE messages {seeded['vacuum_s']:.1f} s" if postgres else "")
              + f"; {seeded['unread']:,} unread; per message on average: HTML body "
              f"{seeded['body_chars'] / seeded['count']:,.0f} characters, the `data` JSON column "
              f"{seeded['data_bytes'] / max(seeded['stored'], 1):,.0f}")
        if seeded["stored"] != args.messages:
            failures.append(f"the store holds {seeded['stored']} messages of {READER}, expected {args.messages}")

        gp = Server("graphpost", [str(Path(sys.executable).with_name("graphpost")), "serve", "--port", "0", *common],
                    tmp)
        servers.append(gp)
        status, body = fetch(gp.port, token, "/v1.0/me/mailFolders/inbox")
        inbox = json.loads(body) if status == 200 else {}
        counts = (inbox.get("totalItemCount"), inbox.get("unreadItemCount"))
        print(f"GET /v1.0/me/mailFolders/inbox: HTTP {status}, totalItemCount {counts[0]}, "
              f"unreadItemCount {counts[1]}")
        if counts != (args.messages, seeded["unread"]):
            failures.append(f"Inbox counts {counts}, expected ({args.messages}, {seeded['unread']})")

        for key in ("inbox", "filter", "orderby"):
            label, path, want = WORKLOADS[key]
            problem, answers[key] = check_answer(gp.port, token, path, want, seeded)
            if problem is None and key == "orderby":
                asc_problem, _ = check_answer(gp.port, token, ORDERBY_ASC, "oldest", seeded)
                if asc_problem:
                    problem = f"desc looks right, but $orderby=receivedDateTime asc is wrong ({asc_problem})"
            if problem:
                if problem.startswith("HTTP 5"):
                    problem += server_exception(gp)
                print(f"{label}: NOT MEASURED, the answer is wrong: {problem}")
                failures.append(f"{label}: {problem}")
                continue
            results[key] = load(gp.port, path, args, token, gp.proc.pid, postgres)
        gp.stop()

        print()
        print(f"results (rates over the {args.seconds:g} s window; latencies of successful requests; "
              f"load generator: {results['bare']['client']}, in a separate process):")
        for key, r in results.items():
            print_result(WORKLOADS[key][0], r, "all", width=46)
        for key in WORKLOADS:
            if key not in results:
                print(f"  {WORKLOADS[key][0]:<46} not measured (see above)")
        print()
        rate_a = results["bare"]["series"]["all"]["rate"]
        cpu_a = ratio(results["bare"]["server_cpu_pct"], rate_a)
        for key in ("inbox", "filter", "orderby"):
            if key in results:
                rate = results[key]["series"]["all"]["rate"]
                name = WORKLOADS[key][0][1]
                print(f"ratio {name}/a = {fmt(ratio(rate, rate_a), 3)}   "
                      f"(from server CPU per request: {fmt(ratio(cpu_a, ratio(results[key]['server_cpu_pct'], rate)), 3)})")
        print()
        print("CPU during the window (100% = one core; the machine has "
              f"{os.cpu_count()}): server (its event-loop thread; other threads and processes) / load generator"
              + (" / PostgreSQL's processes (all of them, whoever uses them)" if postgres else ""))
        for key, r in results.items():
            rate = r["series"]["all"]["rate"]
            per = r["server_cpu_pct"] / 100 / rate * 1000 if rate else float("nan")
            loop_pct, total_pct = r["server_loop_cpu_pct"], r["server_cpu_pct"]
            line = (f"  {WORKLOADS[key][0][:3]} {fmt(total_pct, 0):>4}% ({fmt(loop_pct, 0)}%; "
                    f"{fmt(total_pct - loop_pct, 0)}%) / {fmt(r['loadgen_cpu_pct'], 0):>4}%")
            if postgres:
                pg_per = r["postgres_cpu_pct"] / 100 / rate * 1000 if rate else float("nan")
                line += f" / {fmt(r['postgres_cpu_pct'], 0):>4}%"
            line += f"   server CPU per request: {fmt(per, 2)} ms"
            if postgres:
                line += f" (+ PostgreSQL {fmt(pg_per, 2)} ms)"
            line += (f"; answer {len(answers[key]):,} bytes, "
                     f"{r['window_bytes'] / args.seconds / 1e6:,.1f} MB/s")
            print(line)

        print()
        print(f"check: answers compared with the seeded mailbox ({TOP} items, the expected ids, receivedDateTime "
              "desc, all unread for (c)), then every answer under load compared with the checked one:")
        for key, r in results.items():
            expected_key = f"{len(answers[key])} {zlib.crc32(answers[key])}"
            same = r["bodies"].get(expected_key, 0)
            other = sum(r["bodies"].values()) - same
            errors = r["series"]["all"]["errors_total"]
            print(f"  {WORKLOADS[key][0]:<46} {same:,} answers identical, {other} different, {errors} errors")
            if other:
                failures.append(f"{WORKLOADS[key][0]}: {other} answers differ from the checked one")
            if errors:
                failures.append(f"{WORKLOADS[key][0]}: {errors} failed requests")
        report_check(failures)
    finally:
        shut_down(servers, tmp, args.keep)


if __name__ == "__main__":
    main()
