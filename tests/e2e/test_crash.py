"""Accepted means stored: `kill -9` the server while sends are being answered, restart it, and
every message answered 202 is in Sent Items and in every recipient's Inbox exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e

ALICE, BOB, CAROL = "alice@contoso.test", "bob@contoso.test", "carol@contoso.test"
BATCH = 300
KILL_AFTER = 150  # 202s seen before the kill; the rest of the batch is in flight or not yet sent


def send_mail_body(subject: str) -> dict:
    return {"message": {"subject": subject, "body": {"contentType": "Text", "content": "crash test"},
                        "toRecipients": [{"emailAddress": {"address": BOB}}],
                        "ccRecipients": [{"emailAddress": {"address": CAROL}}]}}


async def subjects_in(http: httpx.AsyncClient, token: str, folder: str) -> Counter[str]:
    seen: Counter[str] = Counter()
    url: str | None = f"/v1.0/me/mailFolders/{folder}/messages?$top=1000"
    while url:
        page = (await http.get(url, headers={"Authorization": f"Bearer {token}"})).json()
        seen.update(message["subject"] for message in page["value"])
        url = page.get("@odata.nextLink")
    return seen


async def test_every_202_survives_kill_9(server_on_each_backend: ServerProcess) -> None:
    server = server_on_each_backend
    server.cli("user", "add", CAROL)
    tokens = {upn: server.token(upn) for upn in (ALICE, BOB, CAROL)}
    accepted: list[str] = []
    killed = asyncio.Event()

    async def send(http: httpx.AsyncClient, subject: str) -> None:
        try:
            response = await http.post("/v1.0/me/sendMail", json=send_mail_body(subject),
                                       headers={"Authorization": f"Bearer {tokens[ALICE]}"})
        except httpx.HTTPError:
            return  # no answer: not accepted, may or may not be stored
        if response.status_code == 202:
            accepted.append(subject)
            if len(accepted) >= KILL_AFTER and not killed.is_set():
                killed.set()
                server.kill()

    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits, timeout=10.0) as http:
        queue = [f"crash-{n:04d}" for n in range(BATCH)]

        async def worker() -> None:
            while queue and not killed.is_set():
                await send(http, queue.pop(0))

        await asyncio.gather(*(worker() for _ in range(16)))
    assert killed.is_set() and len(accepted) >= KILL_AFTER

    server.restart()
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30.0) as http:
        sent = await subjects_in(http, tokens[ALICE], "sentitems")
        bob = await subjects_in(http, tokens[BOB], "inbox")
        carol = await subjects_in(http, tokens[CAROL], "inbox")

    for mailbox in (sent, bob, carol):
        assert all(mailbox[subject] == 1 for subject in accepted), "an accepted message is missing or doubled"
        # Whatever was stored without an answer was stored whole: at most once, and everywhere.
        assert max(mailbox.values()) == 1
    assert set(sent) == set(bob) == set(carol), "a send was half-written"
