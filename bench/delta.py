"""Bench for delta queries: a delta round over a big Inbox with 10 changes since its last round,
beside the first page of the Inbox's message list, in one run (in-process, the ASGI app over httpx).

    .venv/bin/python bench/delta.py [--messages 100000] [--changes 10] [--seconds 5]
                                    [--database-url URL]

1. a fresh data dir (SQLite by default; --database-url for PostgreSQL, a database of its own):
   the default tenant, then --messages messages written straight into alice's Inbox with
   graphpost's own code (mail/messages.new_draft rows, store/bulk.insert_rows; the change log's
   triggers record each one, so the log is as big as the folder);
2. a delta token taken there (what a client holds after a first round), then --changes PATCHes
   of isRead through the API;
3. for --seconds each, one request after another:
     (a) GET /v1.0/me/mailFolders/inbox/messages?$top=10      the list's first page
     (b) GET …/messages/delta?$deltatoken=…                   the round with the changes
     (c) GET …/messages/delta?$deltatoken=… (taken after them) an empty round
   and the ratios b/a and c/a: a round should cost about a small page, whatever the folder's size;
4. the check: (b) answers exactly the changed messages, read, and (c) nothing.
Also printed: how many change-log rows round (b) reads (store/changes.py)."""

from __future__ import annotations

import argparse
import asyncio
import copy
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from graphpost.api.app import create_app  # noqa: E402
from graphpost.api.delta_tokens import DeltaToken, decode, encode  # noqa: E402
from graphpost.auth import keys, tokens  # noqa: E402
from graphpost.config import Settings  # noqa: E402
from graphpost.mail.delta import DeltaState  # noqa: E402
from graphpost.mail.messages import new_draft  # noqa: E402
from graphpost.startup import prepare_store  # noqa: E402
from graphpost.store import bulk  # noqa: E402
from graphpost.store import changes as log  # noqa: E402
from graphpost.store import directory as directory_rows  # noqa: E402
from graphpost.store import mailbox as store  # noqa: E402
from graphpost.store.database import Database  # noqa: E402
from graphpost.store.schema import messages  # noqa: E402

ALICE = "alice@contoso.test"
CHUNK = 10_000


async def seed(db: Database, count: int, prefix: str) -> tuple[str, str]:
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    async with db.write() as conn:
        owner = await directory_rows.user_by_upn(conn, ALICE)
        assert owner is not None
        inbox_id = await store.folder_id_of(conn, owner.id, "inbox")
        template = new_draft(owner, inbox_id, {"subject": "Bulk"}, start).values()
        for first in range(0, count, CHUNK):
            rows = []
            for n in range(first, min(first + CHUNK, count)):
                at = start + timedelta(seconds=n)
                row = copy.copy(template)
                row.update(id=f"AAMk{prefix}{n:08d}", immutable_id=f"AAkALg{prefix}{n:08d}", subject=f"Bulk {n}",
                           is_read=False, is_draft=False, created_at=at, modified_at=at, received_at=at, sent_at=at)
                rows.append(row)
            await bulk.insert_rows(conn, messages, rows)
    return owner.id, inbox_id


async def token_now(db: Database, key: keys.SigningKey, user_id: str, inbox_id: str) -> str:
    async with db.read() as conn:
        mark = await log.watermark(conn)
    return encode(DeltaToken(DeltaState(user_id, f"messages:{inbox_id}", mark, None, None, time.time()), {}), key)


async def timed(http: httpx.AsyncClient, url: str, headers: dict[str, str], seconds: float) -> tuple[int, float]:
    done, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        response = await http.get(url, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.text[:500]}")
        done += 1
    return done, time.perf_counter() - began


async def main(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="graphpost-bench-delta-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), database_url=args.database_url)
        db = await prepare_store(settings)
        try:
            prefix = f"B{int(time.time()) % 100000:05d}"
            began = time.perf_counter()
            user_id, inbox_id = await seed(db, args.messages, prefix)
            print(f"seeded {args.messages} messages in {time.perf_counter() - began:.1f} s ({db.dialect})")
            key = keys.load_or_create(settings.data_dir)
            async with db.read() as conn:
                owner = await directory_rows.user_by_upn(conn, ALICE)
            assert owner is not None
            subject = tokens.DelegatedSubject(owner.tenant_id, owner.id, owner.user_principal_name, owner.display_name)
            headers = {"Authorization": "Bearer " + tokens.issue_delegated(key, subject, ["Mail.ReadWrite"],
                                                                          timedelta(hours=1))}
            before = await token_now(db, key, user_id, inbox_id)
            app = create_app(settings, db)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://graph.test") as http:
                step = max(1, args.messages // max(1, args.changes))
                changed = [f"AAMk{prefix}{n * step:08d}" for n in range(min(args.changes, args.messages))]
                for message_id in changed:
                    response = await http.patch(f"/v1.0/me/messages/{message_id}", headers=headers,
                                                json={"isRead": True})
                    assert response.status_code == 200, response.text
                after = await token_now(db, key, user_id, inbox_id)
                async with db.read() as conn:
                    mark = await log.watermark(conn)
                    read = await log.changes_since(conn, user_id, log.MESSAGE, inbox_id, _since(before, key),
                                                   mark.seq)
                print(f"change-log rows read by round (b): {len(read)} (folder of {args.messages} messages)")
                delta = "/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken="
                workloads = {"a": ("(a) GET …/inbox/messages?$top=10", "/v1.0/me/mailFolders/inbox/messages?$top=10"),
                             "b": (f"(b) delta round, {len(changed)} changes", delta + before),
                             "c": ("(c) delta round, no change", delta + after)}
                ok = await check(http, headers, workloads, changed)
                per_request: dict[str, float] = {}
                for name, (label, url) in workloads.items():
                    done, spent = await timed(http, url, headers, args.seconds)
                    per_request[name] = spent / done
                    print(f"{label:42} {done / spent:8.1f} req/s  {1000 * spent / done:7.2f} ms/request")
                print(f"ratio b/a = {per_request['b'] / per_request['a']:.2f} (time per request)")
                print(f"ratio c/a = {per_request['c'] / per_request['a']:.2f} (time per request)")
                print(f"check: {'passed' if ok else 'FAILED'}")
                return 0 if ok else 1
        finally:
            await db.dispose()


def _since(token: str, key: keys.SigningKey) -> log.Watermark:
    since = decode(token, key).state.since
    assert since is not None
    return since


async def check(http: httpx.AsyncClient, headers: dict[str, str], workloads: dict[str, tuple[str, str]],
                changed: list[str]) -> bool:
    body = (await http.get(workloads["b"][1], headers=headers)).json()
    got = sorted(item["id"] for item in body["value"] if item.get("isRead") is True)
    quiet = (await http.get(workloads["c"][1], headers=headers)).json()
    good = got == sorted(changed) and len(body["value"]) == len(changed) and quiet["value"] == []
    if not good:
        print(f"check: round (b) answered {len(body['value'])} items, round (c) {len(quiet['value'])}")
    return good


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=100_000, help="messages in the Inbox")
    parser.add_argument("--changes", type=int, default=10, help="messages changed between the rounds")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long each workload runs")
    parser.add_argument("--database-url", default=None, help="postgresql://… (a database of its own); "
                                                             "default: SQLite in a temporary directory")
    return parser.parse_args()


if __name__ == "__main__":
    sys.exit(asyncio.run(main(arguments())))
