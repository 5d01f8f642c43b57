"""The inbound SMTP listener over a real socket: aiosmtplib talks to it, the Graph API shows the result."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from typing import AsyncIterator

import aiosmtplib
import httpx
import pytest

from graphpost.inbound.listener import InboundListener
from graphpost.mail import receive
from graphpost.store.database import Database
from tests.api.mail_helpers import Mailbox
from tests.big_mime import (backslashed_to, big_header, commented_content_type, many_addresses, many_headers,
                             many_parameters)
from tests.deep_mime import many_parts, nested_comments, nested_multipart, nested_rfc822
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


def message(to: str, subject: str = "From outside", size: int = 0,
            author: str = "Zed Example <zed@example.org>") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = author
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


async def test_an_unknown_local_user_is_refused_with_550_5_1_10(smtp_port: int) -> None:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
        await aiosmtplib.send(message("nobody@contoso.test"), hostname="127.0.0.1", port=smtp_port)
    [recipient] = refused.value.recipients
    assert (recipient.code, recipient.message) == (
        550, "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup")


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


@pytest.mark.parametrize("sender", ["alice@contoso.test", "Nobody@CONTOSO.test"])
async def test_an_anonymous_envelope_sender_in_an_accepted_domain_is_refused_at_mail_from(
        smtp_port: int, bob: Mailbox, sender: str) -> None:
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
        await aiosmtplib.send(message("bob@contoso.test", author=sender), sender=sender,
                              recipients=["bob@contoso.test"], hostname="127.0.0.1", port=smtp_port)
    assert (refused.value.code, refused.value.message) == (
        550, "5.7.1 Client does not have permissions to send as this sender")
    assert await bob.counts("inbox") == (0, 0)


@pytest.mark.parametrize("header", ["From", "Sender"])
async def test_an_anonymous_message_whose_author_is_in_an_accepted_domain_is_refused_at_data(
        smtp_port: int, bob: Mailbox, header: str) -> None:
    spoofed = message("bob@contoso.test")
    del spoofed[header]
    spoofed[header] = "Alice Smith <alice@contoso.test>"
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await aiosmtplib.send(spoofed, sender="zed@example.org", recipients=["bob@contoso.test"],
                              hostname="127.0.0.1", port=smtp_port)
    assert (refused.value.code, refused.value.message) == (
        550, "5.7.1 Client does not have permissions to send as this sender")
    assert await bob.counts("inbox") == (0, 0)


@pytest.mark.parametrize("raw", [nested_multipart(2000), nested_rfc822(500), nested_comments(5000),
                                 many_parts(2_000)],
                         ids=["multipart-2000", "rfc822-500", "comments-5000", "parts-2000"])
async def test_mime_nested_too_deep_is_refused_with_554_naming_no_exception(smtp_port: int, bob: Mailbox,
                                                                            raw: bytes) -> None:
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await aiosmtplib.send(raw, sender="zed@example.org", recipients=["bob@contoso.test"],
                              hostname="127.0.0.1", port=smtp_port)
    assert (refused.value.code, refused.value.message) == (554, "5.6.0 Message content rejected")
    assert await bob.counts("inbox") == (0, 0)


@pytest.mark.parametrize("raw", [many_headers(), big_header(), many_parameters(), commented_content_type(1_000),
                                 many_addresses(), backslashed_to(6_000)],
                         ids=["headers", "header-bytes", "parameters", "content-type-comments", "addresses",
                              "address-tokens"])
async def test_mime_headers_past_their_bounds_are_refused_with_554_naming_no_exception(smtp_port: int, bob: Mailbox,
                                                                                       raw: bytes) -> None:
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await aiosmtplib.send(raw, sender="zed@example.org", recipients=["bob@contoso.test"],
                              hostname="127.0.0.1", port=smtp_port)
    assert (refused.value.code, refused.value.message) == (554, "5.6.0 Message content rejected")
    assert await bob.counts("inbox") == (0, 0)


async def test_a_failure_of_ours_is_a_temporary_451_naming_no_exception(
        smtp_port: int, bob: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    async def store_unavailable(*args: object) -> int:
        raise RuntimeError("the store went away")

    monkeypatch.setattr(receive, "deliver", store_unavailable)
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await aiosmtplib.send(message("bob@contoso.test"), hostname="127.0.0.1", port=smtp_port)
    assert (refused.value.code, refused.value.message) == (451, "4.3.0 Local error in processing, try again later")
    assert await bob.counts("inbox") == (0, 0)


@pytest.mark.parametrize("author, name", [
    ("Zoë Ångström <zoe@example.org>".encode(), "Zoë Ångström"),
    (b"=?utf-8?b?7aCA?= <zoe@example.org>", "\ufffd\ufffd\ufffd"),
], ids=["raw-utf-8", "encoded-word-not-utf-8"])
async def test_an_author_name_in_8_bit_or_broken_encoding_is_delivered(smtp_port: int, bob: Mailbox,
                                                                       author: bytes, name: str) -> None:
    raw = b"From: " + author + b"\r\nTo: bob@contoso.test\r\nSubject: Hello\r\n\r\nHi Bob\r\n"
    errors, reply = await aiosmtplib.send(raw, sender="zoe@example.org", recipients=["bob@contoso.test"],
                                          hostname="127.0.0.1", port=smtp_port)
    assert errors == {} and reply.startswith("OK")
    [received] = (await bob.get("mailFolders/inbox/messages")).json()["value"]
    assert received["from"] == {"emailAddress": {"name": name, "address": "zoe@example.org"}}


@pytest.mark.parametrize("raw", [b"\r\nno headers at all\r\n", b"Subject: no author, no recipient\r\n\r\nhi\r\n"],
                         ids=["no-headers", "no-from-no-to"])
async def test_a_message_that_is_no_message_is_refused_with_554(smtp_port: int, bob: Mailbox, raw: bytes) -> None:
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await aiosmtplib.send(raw, sender="zed@example.org", recipients=["bob@contoso.test"],
                              hostname="127.0.0.1", port=smtp_port)
    assert (refused.value.code, refused.value.message) == (554, "5.6.0 Message content rejected")
    assert await bob.counts("inbox") == (0, 0)


async def replies(port: int, *commands: bytes) -> list[bytes]:
    """The listener's reply to each command, sent over a raw socket (aiosmtplib refuses to send a
    control character at all)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answers = []
    try:
        await reader.readline()  # the greeting
        for command in commands:
            writer.write(command + b"\r\n")
            await writer.drain()
            while (line := await reader.readline())[3:4] == b"-":  # the lines of a multi-line reply
                pass
            answers.append(line.rstrip())
    finally:
        writer.close()
        await writer.wait_closed()
    return answers


@pytest.mark.parametrize("commands", [[b"MAIL FROM:<zed@exa\x00mple.org>"],
                                      [b"MAIL FROM:<zed@example.org>", b"RCPT TO:<b\x00ob@contoso.test>"]],
                         ids=["mail-from", "rcpt-to"])
async def test_an_address_with_a_control_character_is_malformed(smtp_port: int, commands: list[bytes]) -> None:
    answers = await replies(smtp_port, b"EHLO client.example.org", *commands)
    assert answers[-1] == b"553 5.1.3 Error: malformed address"
