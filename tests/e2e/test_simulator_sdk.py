"""Simulator addresses end to end: msgraph-sdk's sendMail to bounce@ and ooto@ of the simulator's
domain, through the pytest plugin's session `graphpost serve` (capture mode, no relay), and the
non-delivery report and the automatic reply arriving in the sender's Inbox, read through the SDK."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, AsyncIterator, Callable

import pytest

from graphpost.mail.simulator import SIMULATOR_DOMAIN
from graphpost.pytest_plugin import GraphpostServer
from tests.e2e.conftest import SdkClients
from tests.e2e.test_send_sdk import models, recipients

pytestmark = pytest.mark.e2e

BOUNCE, OOTO = f"bounce@{SIMULATOR_DOMAIN}", f"ooto@{SIMULATOR_DOMAIN}"
ARRIVAL = 30.0  # seconds; the worker looks for due mail every second, so this only ends a failing test


@pytest.fixture
async def sdk(graphpost_server: GraphpostServer, graphpost_env: dict[str, str]) -> AsyncIterator[SdkClients]:
    # graphpost_env: the SDK's httpx client trusts the server's CA (SSL_CERT_FILE) when it is made.
    clients = SdkClients(SimpleNamespace(base_url=graphpost_server.url))  # type: ignore[arg-type]
    yield clients
    await clients.aclose()


async def _inbox_until(client: Any, count: int) -> list[Any]:
    """The Inbox once it holds `count` messages (the delivery worker runs beside the API)."""
    while True:
        page = await client.me.mail_folders.by_mail_folder_id("inbox").messages.get()
        if len(page.value) >= count:
            return list(page.value)
        await asyncio.sleep(0.1)


async def test_send_mail_to_bounce_and_ooto_brings_a_report_and_an_automatic_reply(
        sdk: SdkClients, graphpost_server: GraphpostServer, graphpost_user: Callable[..., str],
        graphpost_token: Callable[..., str]) -> None:
    sender = graphpost_user("Simulated Sender")
    client = sdk.v1(graphpost_token(sender))
    m = models("msgraph")
    message = m.Message(subject="Simulated", body=m.ItemBody(content_type=m.BodyType.Text, content="Hello"),
                        to_recipients=recipients(m, BOUNCE, OOTO))
    await client.me.send_mail.post(m.SendMailPostRequestBody(message=message, save_to_sent_items=True))

    inbox = await asyncio.wait_for(_inbox_until(client, 2), ARRIVAL)
    by_subject = {item.subject: item for item in inbox}
    assert set(by_subject) == {"Undeliverable: Simulated", "Automatic reply: Simulated"}
    report = by_subject["Undeliverable: Simulated"]
    assert report.from_.email_address.address == f"postmaster@{sender.rpartition('@')[2]}"
    assert report.has_attachments is True
    assert BOUNCE in report.body.content and "550 5.1.1" in report.body.content
    assert OOTO not in report.body.content  # ooto@ was delivered
    reply = by_subject["Automatic reply: Simulated"]
    assert reply.from_.email_address.address == OOTO
    assert [to.email_address.address for to in reply.to_recipients] == [sender]

    # The outbox, as `graphpost outbox list` shows it: one delivered, one failed, nothing captured.
    listed = graphpost_server.cli("outbox", "list")
    rows = [line for line in listed.splitlines() if sender in line]
    assert any(BOUNCE in line and "failed" in line for line in rows), listed
    assert any(OOTO in line and "delivered" in line for line in rows), listed
