"""MIME over the API: `GET …/messages/{id}/$value` out, base64 MIME in `POST …/messages` and
`POST …/sendMail` (Content-Type: text/plain), and no header injection through subjects or names."""

import base64
import os
import re
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from graphpost.store import outbox
from graphpost.store.database import Database
from tests.api.assertions import assert_graph_error
from tests.big_mime import (backslashed_to, big_header, commented_content_type, many_addresses, many_headers,
                             many_parameters)
from tests.deep_mime import many_parts, nested_comments, nested_multipart, nested_rfc822
from tests.api.mail_helpers import (ALICE, BOB, CAROL, Mailbox, addresses, content_of, file_attachment,
                                    parse_mime, recipients)

ERIN = "erin@example.org"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n" + os.urandom(3000) + b"\n%%EOF\n"
INVALID_MIME = "ErrorMimeContentInvalidBase64String"


def header_lines(raw: bytes) -> list[str]:
    """The header block's lines, unfolded, as a receiving MTA splits them."""
    block = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("ascii")
    return re.sub(r"\n[ \t]", " ", block).split("\n")


def specs(message: EmailMessage, header: str) -> list[str]:
    return [address.addr_spec.lower() for value in message.get_all(header) or () for address in value.addresses]


def mime_message(**headers: str) -> EmailMessage:
    """A message as a mail client writes it: text and HTML alternatives and a PDF attached."""
    message = EmailMessage()
    message["From"] = "Alice Smith <alice@contoso.test>"
    message["To"] = "Bob Jones <bob@contoso.test>"
    message["Cc"] = f"Carol <{CAROL}>"
    message["Subject"] = "Imported from MIME"
    message["Message-ID"] = make_msgid(domain="contoso.test")
    message["X-Import-Batch"] = "7"
    for name, value in headers.items():
        del message[name]
        message[name] = value
    message.set_content("Plain version of the numbers.")
    message.add_alternative("<html><body><p>HTML version of the numbers.</p></body></html>", subtype="html")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="report.pdf")
    return message


def wire(message: EmailMessage) -> bytes:
    return message.as_bytes(policy=policy.SMTP)


async def captured(db: Database) -> list[str]:
    async with db.read() as conn:
        return [entry.recipient.lower() for entry in await outbox.entries(conn)]


# --- out: $value -----------------------------------------------------------------------------------

async def send_rich_message(alice: Mailbox, bob: Mailbox, carol: Mailbox) -> dict:
    draft = await alice.create_draft(
        subject="Quarterly numbers", importance="high",
        body={"contentType": "html", "content": '<p>Numbers <b>attached</b></p><img src="cid:logo">'},
        toRecipients=recipients(BOB), ccRecipients=recipients(CAROL), bccRecipients=recipients(ERIN),
        internetMessageHeaders=[{"name": "x-custom-tag", "value": "42"}],
        attachments=[file_attachment("report.pdf", PDF, "application/pdf"),
                     file_attachment("logo.png", PNG, "image/png", isInline=True, contentId="logo")])
    assert (await alice.send(draft["id"])).status_code == 202
    return await alice.only_message_in("sentitems")


async def test_value_of_a_sent_message_is_rfc_5322_with_its_headers_bodies_and_attachments(
        alice: Mailbox, bob: Mailbox, carol: Mailbox) -> None:
    sent = await send_rich_message(alice, bob, carol)
    response = await alice.get(f"messages/{sent['id']}/$value")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    parsed = parse_mime(response.content)
    assert parsed["Subject"] == "Quarterly numbers"
    assert specs(parsed, "From") == [ALICE]
    assert (specs(parsed, "To"), specs(parsed, "Cc")) == ([BOB], [CAROL])
    assert specs(parsed, "Bcc") == [ERIN]  # the sender's own copy keeps its Bcc
    assert parsed["Message-ID"] == sent["internetMessageId"]
    assert parsed["Date"].datetime is not None
    assert parsed["MIME-Version"] == "1.0"
    assert parsed.get_body(("plain",)).get_content().strip() == "Numbers attached"
    assert "<p>Numbers <b>attached</b></p>" in parsed.get_body(("html",)).get_content()

    parts = {part.get_filename(): part for part in parsed.walk() if part.get_filename()}
    assert set(parts) == {"report.pdf", "logo.png"}
    report, logo = parts["report.pdf"], parts["logo.png"]
    assert (report.get_content_type(), report.get_content_disposition(), report.get_content()) == (
        "application/pdf", "attachment", PDF)
    assert (logo.get_content_type(), logo.get_content_disposition(), logo.get_content()) == (
        "image/png", "inline", PNG)
    assert logo["Content-ID"] == "<logo>"
    assert [part.get_filename() for part in parsed.iter_attachments()] == ["report.pdf"]


async def test_a_recipients_copy_has_no_bcc_in_its_mime(alice: Mailbox, bob: Mailbox, carol: Mailbox) -> None:
    sent = await send_rich_message(alice, bob, carol)
    received = await bob.only_message_in("inbox")
    raw = await bob.mime(received["id"])
    parsed = parse_mime(raw)
    assert "Bcc" not in parsed
    assert ERIN not in raw.decode("ascii", "replace")
    assert (specs(parsed, "From"), specs(parsed, "To"), specs(parsed, "Cc")) == ([ALICE], [BOB], [CAROL])
    assert parsed["Message-ID"] == sent["internetMessageId"] == received["internetMessageId"]
    assert parsed["X-Custom-Tag"] == "42"


async def test_custom_internet_message_headers_appear_in_the_mime(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Tagged", toRecipients=recipients(BOB), internetMessageHeaders=[
        {"name": "x-custom-tag", "value": "42"}, {"name": "X-Ticket", "value": "INC-7 urgent"}])
    parsed = parse_mime(await alice.mime(draft["id"]))
    assert parsed["X-Custom-Tag"] == "42"
    assert parsed["X-Ticket"] == "INC-7 urgent"
    assert parsed["Subject"] == "Tagged" and specs(parsed, "To") == [BOB]


@pytest.mark.parametrize("subject", ["Hi\r\nBcc: evil@example.com", "Hi\nBcc: evil@example.com",
                                     "Hi\rBcc: evil@example.com"])
async def test_a_line_break_in_a_subject_cannot_inject_a_header(alice: Mailbox, bob: Mailbox, db: Database,
                                                                subject: str) -> None:
    draft = await alice.create_draft(subject=subject, toRecipients=recipients(BOB))
    raw = await alice.mime(draft["id"])
    lines = header_lines(raw)
    assert not [line for line in lines if line.lower().startswith("bcc:")], lines
    parsed = parse_mime(raw)
    assert parsed.get_all("Bcc") is None
    assert parsed["Subject"].startswith("Hi") and "evil@example.com" in parsed["Subject"]
    assert (await alice.send(draft["id"])).status_code == 202
    assert await bob.counts("inbox") == (1, 1)
    assert "evil@example.com" not in await captured(db)
    sent = await alice.only_message_in("sentitems")
    assert sent["bccRecipients"] == []
    assert parse_mime(await alice.mime(sent["id"])).get_all("Bcc") is None


async def test_a_line_break_in_a_recipients_name_cannot_inject_a_header(alice: Mailbox) -> None:
    to = [{"emailAddress": {"name": "Bob\r\nBcc: evil@example.com", "address": BOB}}]
    draft = await alice.create_draft(subject="Names", toRecipients=to)
    raw = await alice.mime(draft["id"])
    assert not [line for line in header_lines(raw) if line.lower().startswith("bcc:")]
    parsed = parse_mime(raw)
    assert parsed.get_all("Bcc") is None
    assert specs(parsed, "To") == [BOB]


# --- in: base64 MIME -------------------------------------------------------------------------------

async def test_post_messages_with_base64_mime_creates_a_draft_from_it(alice: Mailbox) -> None:
    message = mime_message()
    response = await alice.post_mime("messages", wire(message))
    assert response.status_code == 201, response.text
    draft = response.json()
    assert draft["isDraft"] is True
    assert draft["subject"] == "Imported from MIME"
    assert draft["body"]["contentType"] == "html"
    assert "<p>HTML version of the numbers.</p>" in draft["body"]["content"]
    assert addresses(draft["toRecipients"]) == [BOB] and addresses(draft["ccRecipients"]) == [CAROL]
    assert draft["internetMessageId"] == message["Message-ID"]
    assert draft["hasAttachments"] is True
    drafts = await alice.folder("drafts")
    assert draft["parentFolderId"] == drafts["id"] and drafts["totalItemCount"] == 1
    [attachment] = await alice.attachments(draft["id"])
    assert (attachment["name"], attachment["contentType"], attachment["isInline"]) == (
        "report.pdf", "application/pdf", False)
    assert content_of(attachment) == PDF
    # The custom header was kept (internetMessageHeaders, read back here through the MIME: $select is
    # the OData issue's).
    assert parse_mime(await alice.mime(draft["id"]))["X-Import-Batch"] == "7"


async def test_send_mail_with_base64_mime_delivers_it_and_saves_it_in_sent_items(
        alice: Mailbox, bob: Mailbox, carol: Mailbox) -> None:
    response = await alice.post_mime("sendMail", wire(mime_message()))
    assert response.status_code == 202, response.text
    assert response.content == b""
    for recipient in (bob, carol):
        assert await recipient.counts("inbox") == (1, 1)
        received = await recipient.only_message_in("inbox")
        assert received["subject"] == "Imported from MIME" and received["isDraft"] is False
        assert addresses([received["from"]]) == [ALICE]
        assert addresses(received["toRecipients"]) == [BOB] and addresses(received["ccRecipients"]) == [CAROL]
        assert received["hasAttachments"] is True
        [attachment] = await recipient.attachments(received["id"])
        assert (attachment["name"], content_of(attachment)) == ("report.pdf", PDF)
    sent = await alice.only_message_in("sentitems")
    assert sent["subject"] == "Imported from MIME" and sent["hasAttachments"] is True
    assert await alice.counts("drafts") == (0, 0)


async def test_send_mail_with_mime_keeps_bcc_out_of_the_recipients_copies(alice: Mailbox, bob: Mailbox,
                                                                           carol: Mailbox) -> None:
    message = mime_message(Bcc=f"Carol <{CAROL}>", Cc="")
    del message["Cc"]
    response = await alice.post_mime("sendMail", wire(message))
    assert response.status_code == 202, response.text
    for recipient in (bob, carol):
        received = await recipient.only_message_in("inbox")
        assert received["bccRecipients"] == [] and received["ccRecipients"] == []
        assert "Bcc" not in parse_mime(await recipient.mime(received["id"]))
    sent = await alice.only_message_in("sentitems")
    assert addresses(sent["bccRecipients"]) == [CAROL]


async def test_mime_out_and_back_in_keeps_the_message(alice: Mailbox, bob: Mailbox, carol: Mailbox) -> None:
    sent = await send_rich_message(alice, bob, carol)
    response = await alice.post_mime("messages", await alice.mime(sent["id"]))
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["subject"] == sent["subject"] and copy["importance"] == "high"
    assert (addresses(copy["toRecipients"]), addresses(copy["ccRecipients"]), addresses(copy["bccRecipients"])) == (
        [BOB], [CAROL], [ERIN])
    assert copy["body"]["contentType"] == "html"
    assert "<p>Numbers <b>attached</b></p>" in copy["body"]["content"]
    assert copy["hasAttachments"] is True
    listed = await alice.attachments(copy["id"])
    assert sorted((a["name"], a["isInline"], a["contentId"], content_of(a)) for a in listed) == [
        ("logo.png", True, "logo", PNG), ("report.pdf", False, None, PDF)]


@pytest.mark.parametrize("body", [b"not base64 at all!", b"QUJD=RA==", b"QUJDRA"], ids=["junk", "padding", "short"])
@pytest.mark.parametrize("tail", ["messages", "sendMail"])
async def test_invalid_base64_mime_is_refused_and_nothing_is_created(alice: Mailbox, bob: Mailbox, body: bytes,
                                                                     tail: str) -> None:
    response = await alice.post(tail, content=body, headers={"Content-Type": "text/plain"})
    assert_graph_error(response, 400, INVALID_MIME)
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)


@pytest.mark.parametrize("junk", [b"this is not a mime message at all", bytes(range(256)) * 4, b"\r\n\r\n"],
                         ids=["text", "binary", "blank"])
@pytest.mark.parametrize("tail", ["messages", "sendMail"])
async def test_base64_of_something_that_is_no_message_is_refused(alice: Mailbox, bob: Mailbox, junk: bytes,
                                                                 tail: str) -> None:
    response = await alice.post(tail, content=base64.b64encode(junk), headers={"Content-Type": "text/plain"})
    assert_graph_error(response, 400, INVALID_MIME)
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)



@pytest.mark.parametrize("raw", [nested_multipart(2000), nested_rfc822(500), nested_comments(5000),
                                 many_parts(20_000)],
                         ids=["multipart-2000", "rfc822-500", "comments-5000", "parts-20000"])
@pytest.mark.parametrize("tail", ["messages", "sendMail"])
async def test_mime_nested_too_deep_is_refused_and_nothing_is_created(alice: Mailbox, bob: Mailbox, raw: bytes,
                                                                      tail: str) -> None:
    response = await alice.post(tail, content=base64.b64encode(raw), headers={"Content-Type": "text/plain"})
    assert_graph_error(response, 400, INVALID_MIME)
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)

@pytest.mark.parametrize("raw", [many_headers(), big_header(), many_parameters(), commented_content_type(1_000),
                                 many_addresses(), backslashed_to(6_000)],
                         ids=["headers", "header-bytes", "parameters", "content-type-comments", "addresses",
                              "address-tokens"])
@pytest.mark.parametrize("tail", ["messages", "sendMail"])
async def test_mime_headers_past_their_bounds_are_refused_and_nothing_is_created(alice: Mailbox, bob: Mailbox,
                                                                                 raw: bytes, tail: str) -> None:
    response = await alice.post(tail, content=base64.b64encode(raw), headers={"Content-Type": "text/plain"})
    assert_graph_error(response, 400, INVALID_MIME)
    assert await alice.counts("drafts") == (0, 0)
    assert await alice.counts("sentitems") == (0, 0)
    assert await bob.counts("inbox") == (0, 0)


# --- what a client may store must still render -----------------------------------------------------

async def test_an_item_attachment_survives_mime_out_and_back_in(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="With the minutes", toRecipients=recipients(BOB))
    # A draft as an item: no From and no recipient of its own.
    await alice.add_attachment(draft["id"], {"@odata.type": "#microsoft.graph.itemAttachment", "name": "Minutes",
                                             "item": {"subject": "Minutes of Monday",
                                                      "body": {"contentType": "text", "content": "We agreed."}}})
    raw = await alice.mime(draft["id"])
    [attached] = [part for part in parse_mime(raw).walk() if part.get_content_type() == "message/rfc822"]
    assert attached.get_filename() == "Minutes"
    assert attached.get_content()["Subject"] == "Minutes of Monday"
    response = await alice.post_mime("messages", raw)
    assert response.status_code == 201, response.text
    copy = response.json()
    assert copy["hasAttachments"] is True
    [item] = await alice.attachments(copy["id"])
    assert (item["@odata.type"], item["name"]) == ("#microsoft.graph.itemAttachment", "Minutes")
    assert parse_mime(await alice.attachment_value(copy["id"], item["id"]))["Subject"] == "Minutes of Monday"


async def test_the_mime_of_a_draft_with_an_unresolved_address_still_renders(alice: Mailbox) -> None:
    # Graph keeps a draft's recipients as given and checks them only when it is sent.
    draft = await alice.create_draft(subject="Unresolved", toRecipients=[
        {"emailAddress": {"address": "not an address"}}, {"emailAddress": {"address": BOB}}])
    assert_graph_error(await alice.send(draft["id"]), 400, "ErrorInvalidRecipients")
    response = await alice.get(f"messages/{draft['id']}/$value")
    assert response.status_code == 200, response.text
    parsed = parse_mime(response.content)
    assert parsed["Subject"] == "Unresolved"
    assert BOB in specs(parsed, "To")


@pytest.mark.parametrize("content_id", ["logo\r\nBcc: evil@example.com", "my logo"], ids=["line-break", "space"])
async def test_a_content_id_that_cannot_go_in_a_header_is_refused_or_made_safe(alice: Mailbox,
                                                                               content_id: str) -> None:
    draft = await alice.create_draft(subject="Logo", toRecipients=recipients(BOB),
                                     body={"contentType": "html", "content": "<p>logo</p>"})
    response = await alice.post(f"messages/{draft['id']}/attachments", json=file_attachment(
        "logo.png", PNG, "image/png", isInline=True, contentId=content_id))
    if response.status_code != 201:
        # Refused when it is given: then nothing was stored.
        assert_graph_error(response, 400, response.json()["error"]["code"])
        assert await alice.attachments(draft["id"]) == []
        return
    # Taken: then the message must still render, without an injected header.
    mime = await alice.get(f"messages/{draft['id']}/$value")
    assert mime.status_code == 200, mime.text
    assert not [line for line in header_lines(mime.content) if line.lower().startswith("bcc:")]
    assert parse_mime(mime.content).get_all("Bcc") is None


async def test_an_internet_message_id_that_cannot_go_in_a_header_is_refused_or_made_safe(alice: Mailbox) -> None:
    response = await alice.post("messages", json={"subject": "Odd id", "internetMessageId": "not a\r\nBcc: x@y.z"})
    if response.status_code != 201:
        assert_graph_error(response, 400, response.json()["error"]["code"])
        assert await alice.counts("drafts") == (0, 0)
        return
    mime = await alice.get(f"messages/{response.json()['id']}/$value")
    assert mime.status_code == 200, mime.text
    assert parse_mime(mime.content).get_all("Bcc") is None


async def test_a_line_break_in_an_attachment_name_cannot_inject_a_header(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Names", toRecipients=recipients(BOB))
    await alice.add_attachment(draft["id"], file_attachment("a\r\nBcc: evil@example.com.txt", b"alpha",
                                                            "text/plain"))
    raw = await alice.mime(draft["id"])
    assert not [line for line in header_lines(raw) if line.lower().startswith("bcc:")]
    for part in parse_mime(raw).walk():
        assert not [name for name in part.keys() if name.lower() == "bcc"]
    [attachment] = [part for part in parse_mime(raw).walk() if part.get_filename()]
    assert attachment.get_content() in ("alpha", b"alpha")
