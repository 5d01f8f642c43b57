"""Change notifications end to end: how many notifications per second reach a webhook when
sendMail runs flat out (sendMail's 202 -> the change log's trigger -> the notification queue ->
the dispatcher -> the webhook's POST), beside sendMail alone, in one run.

    .venv/bin/python bench/notifications.py [--seconds 10] [--concurrency 16] [--database-url URL] [--keep]

1. a fresh data dir, `graphpost serve --port 0` (SQLite in it, or --database-url, emptied first
   by the caller), a webhook receiver in this process (Starlette under uvicorn, on a free port);
2. (a) sendMail alone: alice sends to herself for --seconds, no subscription;
3. (b) the same with a subscription to alice's Inbox (`created`): the driver counts, at the
   receiver, the notifications of the mails sent in (b) until all have arrived (or 60 s pass);
4. prints sendMail/s of (a) and (b), notifications/s end to end (notifications received over the
   time from the first send of (b) to the last notification received), and the ratio
   notifications/s to sendMail/s of (a). The check: every 202 of (b) brought one notification."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (HOST, Server, add_load_arguments, check_load_arguments, fmt, graphpost_cli,  # noqa: E402
                     ratio, report_check, shut_down)

DRAIN_TIMEOUT_S = 60.0


class Receiver:
    """Answers validations, counts notifications: the distinct message ids and when the last came."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.ids: set[str] = set()
        self.last = 0.0
        self.lock = threading.Lock()
        app = Starlette(routes=[Route("/hook", self.handle, methods=["POST"])])
        self.server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_config=None, access_log=False,
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def handle(self, request: Request) -> Response:
        token = request.query_params.get("validationToken")
        if token is not None:
            return PlainTextResponse(token)
        items = json.loads(await request.body())["value"]
        with self.lock:
            self.ids.update(item["resourceData"]["id"] for item in items if item.get("changeType") == "created")
            self.last = time.monotonic()
        return Response(status_code=202)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise SystemExit("the webhook receiver did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


async def send_for(port: int, token: str, seconds: float, concurrency: int) -> tuple[int, int, float]:
    """sendMail from alice to herself on `concurrency` connections for `seconds`: (202s, errors, start)."""
    body = {"message": {"subject": "bench", "body": {"contentType": "Text", "content": "x" * 200},
                        "toRecipients": [{"emailAddress": {"address": "alice@contoso.test"}}]},
            "saveToSentItems": False}
    accepted = errors = 0
    start = time.monotonic()
    end = start + seconds
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=60,
                                 headers={"Authorization": f"Bearer {token}"},
                                 limits=httpx.Limits(max_connections=concurrency)) as http:
        async def worker() -> None:
            nonlocal accepted, errors
            while time.monotonic() < end:
                try:
                    response = await http.post("/v1.0/me/sendMail", json=body)
                except httpx.HTTPError:
                    errors += 1
                    continue
                if response.status_code == 202:
                    accepted += 1
                else:
                    errors += 1
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return accepted, errors, start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_load_arguments(parser)
    parser.add_argument("--database-url", help="a PostgreSQL URL instead of SQLite in the data dir")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and logs")
    args = parser.parse_args()
    check_load_arguments(parser, args)

    tmp = Path(tempfile.mkdtemp(prefix="graphpost-bench-notify-"))
    common = ["--data-dir", str(tmp / "data")] + (["--database-url", args.database_url] if args.database_url else [])
    servers: list[Server] = []
    receiver: Receiver | None = None
    failures: list[str] = []
    try:
        servers.append(Server("graphpost", [str(Path(sys.executable).with_name("graphpost")), "serve", "--port", "0",
                                            *common], tmp))
        port = servers[0].port
        token = graphpost_cli(["token", "--user", "alice@contoso.test"], common)
        sock_port = _free_port()
        receiver = Receiver(sock_port)
        receiver.start()

        alone, alone_errors, _ = asyncio.run(send_for(port, token, args.seconds, args.concurrency))
        subscribe = httpx.post(f"http://{HOST}:{port}/v1.0/subscriptions", timeout=30,
                               headers={"Authorization": f"Bearer {token}"},
                               json={"changeType": "created", "notificationUrl": f"http://{HOST}:{sock_port}/hook",
                                     "resource": "me/mailFolders('inbox')/messages",
                                     "expirationDateTime": (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()})
        if subscribe.status_code != 201:
            raise SystemExit(f"subscribing failed: {subscribe.status_code} {subscribe.text}")
        sent, sent_errors, started = asyncio.run(send_for(port, token, args.seconds, args.concurrency))
        deadline = time.monotonic() + DRAIN_TIMEOUT_S
        while len(receiver.ids) < sent and time.monotonic() < deadline:
            time.sleep(0.05)
        received, last = len(receiver.ids), receiver.last
        notify_rate = received / (last - started) if received and last > started else float("nan")
        alone_rate = alone / args.seconds
        print(f"(a) sendMail alone                     {fmt(alone_rate):>9} req/s  errors {alone_errors}")
        print(f"(b) sendMail with a subscription       {fmt(sent / args.seconds):>9} req/s  errors {sent_errors}")
        print(f"    notifications received end to end  {fmt(notify_rate):>9} /s     ({received} of {sent})")
        print(f"ratio notifications/sendMail = {fmt(ratio(notify_rate, alone_rate), 3)}")
        if received != sent:
            failures.append(f"{sent} mails sent in (b), {received} notifications received")
        if alone_errors or sent_errors:
            failures.append(f"{alone_errors + sent_errors} sendMail requests failed")
    finally:
        if receiver is not None:
            receiver.stop()
        shut_down(servers, tmp, args.keep)
    report_check(failures)


def _free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main()
