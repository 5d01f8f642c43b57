"""The inbound SMTP listener over a real socket: aiosmtplib talks to it, the Graph API shows the result."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from typing import AsyncIterator

import aiosmtplib
import httpx
import pytest

from graphpost.inbound.listener import InboundListener
from graphpost.store.database import Database
from tests.api.mail_helpers import Mailbox
from tests.ports import free_port, wait_for_listener

MAX_SIZE = 200_000


@pytest.fixture
async def smtp_port(db: Database) -> AsyncIterator[int]:
    port = free_port()
    stopping = asyncio.Event()
    task = asyncio.create_task(InboundListener(db, "127.0.0.1", port, MAX_SIZE).run(stopping))
    await wait_for_listener(port)
    yield port
    stopping.set()
    await task


def message(to: str, subject: str = "From outside", size: int = 0) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "Zed Example <zed@example.org>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = "<outside-1@example.org>"
    mail.set_content("Hello from the internet" + "x" * size)
    mail.add_attachment(b"%PDF-1.4 tiny", maintype="application", subtype="pdf", filename="report.pdf")
    return mail


async def test_mail_for_a_local_user_lands_in_the_inbox(smtp_port: int, bob: Mailbox, client: httpx.AsyncClient) -> None:
    errors, reply = await aiosmtplib.send(message("bob@contoso.test"), hostname="127.0.0.1", port=smtp_port)
    assert errors == {} and reply.startswith("OK")
    [received] = (await bob.get("mailFolders/inbox/messages")).json()["value"]
    assert received["subject"] == "From outside" and received["isRead"] is False and received["isDraft"] is False
    assert received["from"] == {"emailAddress": {"name": "Zed Example", "address": "zed@example.org"}}
    assert received["internetMessageId"] == "<outside-1@example.org>"
    assert received["hasAttachments"] is True
    [attachment] = (await bob.get(f"messages/{received['id']}/attachments")).json()["value"]
    assert attachment["name"] == "report.pdf" and attachment["contentType"] == "application/pdf"


async def test_an_unknown_local_user_is_refused_with_550(smtp_port: int) -> None:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await aiosmtplib.send(message("nobody@contoso.test"), hostname="127.0.0.1", port=smtp_port)
    assert refused.value.recipients[0].code == 550 and "5.1.1" in refused.value.recipients[0].message


async def test_a_foreign_domain_is_refused_no_open_relay(smtp_port: int) -> None:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await aiosmtplib.send(message("someone@elsewhere.org"), hostname="127.0.0.1", port=smtp_port)
    assert refused.value.recipients[0].code == 554


async def test_a_message_over_the_size_limit_is_refused_with_552(smtp_port: int, bob: Mailbox) -> None:
    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        await aiosmtplib.send(message("bob@contoso.test", size=MAX_SIZE), hostname="127.0.0.1", port=smtp_port)
    assert refused.value.code == 552
    assert (await bob.counts("inbox"))[0] == 0


async def test_one_message_for_two_users_gives_each_a_copy(smtp_port: int, alice: Mailbox, bob: Mailbox) -> None:
    await aiosmtplib.send(message("alice@contoso.test, bob@contoso.test"), hostname="127.0.0.1", port=smtp_port)
    assert (await alice.counts("inbox"))[0] == 1 and (await bob.counts("inbox"))[0] == 1
