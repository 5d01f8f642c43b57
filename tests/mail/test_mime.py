import base64
import os
import re
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest

from graphpost.mail.mime import (
    MAX_NESTING,
    MAX_PARTS,
    MimeAttachment,
    MimeError,
    MimeItemAttachment,
    decode_base64_mime,
    parse,
    render,
)
from graphpost.mail.model import parse_message
from tests.big_mime import (
    AUTHOR,
    backslashed_to,
    big_header,
    big_header_block,
    commented_content_type,
    long_addresses,
    many_addresses,
    many_headers,
    many_parameters,
    named_recipients,
)
from tests.deep_mime import many_parts, nested_comments, nested_multipart, nested_rfc822


def _recipient(address: str, name: str | None = None) -> dict[str, Any]:
    return {"emailAddress": {"name": name or address, "address": address}}


def _message(**fields: Any) -> dict[str, Any]:
    message = {
        "subject": "Quarterly numbers",
        "body": {"contentType": "text", "content": "Hello Bob,\nthe numbers are in."},
        "from": _recipient("alice@example.com", "Alice Adams"),
        "sender": _recipient("alice@example.com", "Alice Adams"),
        "toRecipients": [_recipient("bob@example.org", "Bob Brown")],
        "ccRecipients": [_recipient("carol@example.net", "Carol")],
        "bccRecipients": [_recipient("dave@example.com", "Dave")],
        "replyTo": [_recipient("replies@example.com", "Replies")],
        "importance": "normal",
        "internetMessageId": "<abc.123@example.com>",
        "sentDateTime": "2024-03-01T10:15:00Z",
    }
    message.update(fields)
    return message


def _headers(raw: bytes) -> list[str]:
    """The header block's lines, unfolded, as a receiving MTA would split them."""
    block = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    return re.sub(r"\r\n[ \t]", " ", block).split("\r\n")


def _names(raw: bytes) -> list[str]:
    return [line.split(":", 1)[0].lower() for line in _headers(raw)]


# --- round trips -------------------------------------------------------------------------------------

def test_round_trip_keeps_subject_recipients_and_text_body() -> None:
    parsed = parse(render(_message(), include_bcc=True))
    message = parsed.message
    assert message["subject"] == "Quarterly numbers"
    assert message["body"] == {"contentType": "text", "content": "Hello Bob,\nthe numbers are in."}
    assert message["from"] == _recipient("alice@example.com", "Alice Adams")
    assert message["sender"] == _recipient("alice@example.com", "Alice Adams")
    assert message["toRecipients"] == [_recipient("bob@example.org", "Bob Brown")]
    assert message["ccRecipients"] == [_recipient("carol@example.net", "Carol")]
    assert message["bccRecipients"] == [_recipient("dave@example.com", "Dave")]
    assert message["replyTo"] == [_recipient("replies@example.com", "Replies")]
    assert message["importance"] == "normal"
    assert parsed.internet_message_id == "<abc.123@example.com>"
    assert parsed.sent == datetime(2024, 3, 1, 10, 15, tzinfo=timezone.utc)
    assert parsed.attachments == ()


def test_round_trip_keeps_html_body_and_writes_a_text_alternative() -> None:
    html = "<html><body><p>Hello <b>Bob</b></p><p>See you</p></body></html>"
    raw = render(_message(body={"contentType": "html", "content": html}))
    assert parse(raw).message["body"] == {"contentType": "html", "content": html}
    stdlib = message_from_bytes(raw, policy=policy.default)
    assert stdlib.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in stdlib.iter_parts()] == ["text/plain", "text/html"]
    plain = stdlib.get_body(("plain",))
    assert plain is not None and plain.get_content().split() == ["Hello", "Bob", "See", "you"]


def test_parsed_message_is_accepted_by_the_message_model() -> None:
    raw = render(_message(importance="high", isReadReceiptRequested=True,
                          internetMessageHeaders=[{"name": "x-tracking", "value": "42"}]))
    _, given = parse_message(parse(raw).message)
    assert given["subject"] == "Quarterly numbers"
    assert given["importance"] == "high"
    assert given["internetMessageHeaders"] == [{"name": "x-tracking", "value": "42"}]


def test_round_trip_keeps_file_inline_and_item_attachments() -> None:
    forwarded = (b"From: Eve <eve@example.com>\r\nTo: alice@example.com\r\nSubject: The original\r\n"
                 b"Message-ID: <orig@example.com>\r\n\r\nOriginal text\r\n")
    logo = MimeAttachment("logo.png", "image/png", b"\x89PNG\r\n\x1a\n" + os.urandom(300), is_inline=True,
                          content_id="logo@example.com")
    report = MimeAttachment("Bericht März.pdf", "application/pdf", os.urandom(2000))
    notes = MimeAttachment("notes.txt", "text/plain", b"line one\r\nline two\n\x00binary-ish")
    item = MimeItemAttachment("The original", forwarded)
    html = '<p>Our logo: <img src="cid:logo@example.com"></p>'
    raw = render(_message(body={"contentType": "html", "content": html}), [logo, report, notes, item])

    parsed = parse(raw)
    assert parsed.message["body"] == {"contentType": "html", "content": html}
    assert parsed.attachments == (logo, report, notes, item)
    stdlib = message_from_bytes(raw, policy=policy.default)
    assert stdlib.get_content_type() == "multipart/mixed"
    related = next(part for part in stdlib.walk() if part.get_content_type() == "multipart/related")
    assert [part.get_content_type() for part in related.iter_parts()] == ["text/html", "image/png"]
    assert list(related.iter_parts())[1]["Content-ID"] == "<logo@example.com>"
    rfc822 = next(part for part in stdlib.walk() if part.get_content_type() == "message/rfc822")
    inner = rfc822.get_payload(0)
    assert isinstance(inner, Message) and inner["Subject"] == "The original"


def test_inline_attachment_of_a_text_body_stays_inline_with_its_content_id() -> None:
    image = MimeAttachment("dot.gif", "image/gif", b"GIF89a", is_inline=True, content_id="dot")
    parsed = parse(render(_message(), [image]))
    assert parsed.message["body"]["contentType"] == "text"
    assert parsed.attachments == (image,)


def test_round_trip_keeps_custom_and_threading_headers() -> None:
    headers = [{"name": "x-ticket", "value": "T-1"}, {"name": "X-Origin", "value": "Ünïcode värde"}]
    raw = render(_message(internetMessageHeaders=headers, importance="low", conversationIndex="AQHaBcDe",
                          isReadReceiptRequested=True, isDeliveryReceiptRequested=True),
                 in_reply_to="<parent@example.com>", references=["<root@example.com>", "<parent@example.com>"])
    names = _names(raw)
    assert {"in-reply-to", "references", "importance", "x-priority", "thread-index",
            "disposition-notification-to", "return-receipt-to", "x-ticket", "x-origin", "mime-version"} <= set(names)
    assert "Importance: low" in _headers(raw) and "X-Priority: 5" in _headers(raw)
    parsed = parse(raw)
    assert parsed.message["internetMessageHeaders"] == headers
    assert parsed.message["importance"] == "low"
    assert parsed.message["isReadReceiptRequested"] is True
    assert parsed.message["isDeliveryReceiptRequested"] is True
    assert parsed.in_reply_to == "<parent@example.com>"
    assert parsed.references == ("<root@example.com>", "<parent@example.com>")
    assert parsed.thread_index == "AQHaBcDe"


def test_normal_importance_writes_no_priority_headers_and_no_receipts() -> None:
    names = _names(render(_message()))
    assert not {"importance", "x-priority", "disposition-notification-to", "return-receipt-to",
                "in-reply-to", "references", "thread-index"} & set(names)
    parsed = parse(render(_message()))
    assert parsed.message["isReadReceiptRequested"] is False
    assert parsed.message["isDeliveryReceiptRequested"] is False
    assert (parsed.in_reply_to, parsed.references) == (None, ())


def test_large_attachment_round_trips_byte_for_byte() -> None:
    big = MimeAttachment("big.bin", "application/octet-stream", os.urandom(5 * 1024 * 1024))
    raw = render(_message(), [big])
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert parse(raw).attachments == (big,)


# --- headers written ---------------------------------------------------------------------------------

def test_bcc_is_written_only_when_asked() -> None:
    assert "bcc" not in _names(render(_message()))
    assert b"dave@example.com" not in render(_message())
    assert "Bcc: Dave <dave@example.com>" in _headers(render(_message(), include_bcc=True))
    assert parse(render(_message())).message["bccRecipients"] == []


def test_sender_is_written_only_when_it_differs_from_from() -> None:
    assert "sender" not in _names(render(_message()))
    raw = render(_message(sender=_recipient("assistant@example.com", "Assistant")))
    assert "Sender: Assistant <assistant@example.com>" in _headers(raw)
    assert parse(raw).message["sender"] == _recipient("assistant@example.com", "Assistant")


def test_output_has_crlf_line_ends_and_mime_version() -> None:
    raw = render(_message(body={"contentType": "html", "content": "<p>a</p>\n<p>b</p>"}))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"\r" not in raw.replace(b"\r\n", b"")
    assert "MIME-Version: 1.0" in _headers(raw)


def test_message_id_and_date_are_made_when_missing() -> None:
    message = _message()
    del message["internetMessageId"], message["sentDateTime"]
    parsed = parse(render(message))
    assert re.fullmatch(r"<[^<>@\s]+@example\.com>", parsed.internet_message_id or "")
    assert parsed.sent is not None
    assert abs(datetime.now(timezone.utc) - parsed.sent) < timedelta(minutes=1)


def test_non_ascii_names_and_subject_are_encoded_and_read_back() -> None:
    message = _message(subject="Grüße aus Köln – 東京 " * 4,
                       **{"from": _recipient("juergen@example.com", "Jürgen Müller, Köln")},
                       toRecipients=[_recipient("zoe@example.org", "Zoë Ørsted"),
                                     _recipient("ren@example.jp", "山田 太郎")])
    raw = render(message)
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert header_block.isascii()
    assert max(len(line) for line in header_block.split(b"\r\n")) <= 78
    parsed = parse(raw).message
    assert parsed["subject"] == message["subject"].strip()
    assert parsed["from"] == _recipient("juergen@example.com", "Jürgen Müller, Köln")
    assert parsed["toRecipients"] == message["toRecipients"]


def test_non_ascii_text_body_is_sent_7bit_clean() -> None:
    raw = render(_message(body={"contentType": "text", "content": "Ça va? Ünïcödé ✓"}))
    assert raw.isascii()
    assert parse(raw).message["body"]["content"] == "Ça va? Ünïcödé ✓"


# --- header injection --------------------------------------------------------------------------------

@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\r\n\r\n", "\u2028", "\x85", "\x0b"])
def test_line_break_in_subject_cannot_inject_a_header(breaker: str) -> None:
    raw = render(_message(subject=f"Hi{breaker}Bcc: evil@x.com"))
    assert "bcc" not in _names(raw)
    assert parse(raw).message["bccRecipients"] == []
    assert parse(raw).message["subject"].startswith("Hi")


def test_line_break_in_display_names_cannot_inject_a_header() -> None:
    evil = "Bob\r\nBcc: evil@x.com\r\nX-Evil: 1"
    raw = render(_message(toRecipients=[_recipient("bob@example.org", evil)],
                          **{"from": _recipient("alice@example.com", evil)}))
    assert not {"bcc", "x-evil"} & set(_names(raw))
    parsed = parse(raw).message
    assert parsed["bccRecipients"] == [] and parsed["internetMessageHeaders"] == []
    assert parsed["toRecipients"] == [_recipient("bob@example.org", "Bob Bcc: evil@x.com X-Evil: 1")]


def test_line_break_in_custom_header_value_cannot_inject_a_header() -> None:
    raw = render(_message(internetMessageHeaders=[{"name": "x-note", "value": "a\r\nBcc: evil@x.com\nX-Evil: 1"}]))
    assert not {"bcc", "x-evil"} & set(_names(raw))
    assert parse(raw).message["internetMessageHeaders"] == [{"name": "x-note", "value": "a Bcc: evil@x.com X-Evil: 1"}]


def test_line_break_in_attachment_name_cannot_inject_a_header() -> None:
    evil = MimeAttachment("a.txt\r\nContent-Type: text/html", "text/plain", b"x")
    raw = render(_message(), [evil])
    part = list(message_from_bytes(raw, policy=policy.default).iter_parts())[1]
    assert part.get_all("Content-Type") == ["text/plain"]
    assert parse(raw).attachments[0].name == "a.txt Content-Type: text/html"


@pytest.mark.parametrize("address", ["bob@example.org\r\nBcc: evil@x.com", "bob@example.org\n", "bob\r@example.org",
                                     "bob@example.org, evil@x.com", "Evil <evil@x.com>", "no-at-sign", "a@", "@b",
                                     "a b@example.org", "jö@example.org"])
def test_address_that_is_not_one_is_left_out(address: str) -> None:
    # A draft may hold an unresolved address (Graph checks them only at send): its MIME still
    # renders, without that address and without anything it could have injected.
    raw = render(_message(toRecipients=[_recipient(address, "Bob"), _recipient("carol@example.org", "Carol")]))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["carol@example.org"]
    assert parsed["Bcc"] is None


@pytest.mark.parametrize("name", ["Bcc", "Subject", "x-a:b", "x-a\r\nBcc", "x a", ""])
def test_custom_header_not_named_x_is_refused(name: str) -> None:
    with pytest.raises(ValueError):
        render(_message(internetMessageHeaders=[{"name": name, "value": "v"}]))


def test_line_break_in_message_ids_is_refused_and_in_content_ids_dropped() -> None:
    with pytest.raises(ValueError):
        render(_message(internetMessageId="<a@b>\r\nBcc: evil@x.com"))
    with pytest.raises(ValueError):
        render(_message(), in_reply_to="<a@b>\r\nBcc: evil@x.com")
    with pytest.raises(ValueError):
        render(_message(), references=["<a@b>", "<c@d>\nBcc: evil@x.com"])
    raw = render(_message(), [MimeAttachment("a.png", "image/png", b"x", True, "a\r\nBcc: evil@x.com")])
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert [part["Content-ID"] for part in parsed.iter_attachments()] == ["<aBcc:evil@x.com>"]


def test_unusable_attachment_content_type_becomes_octet_stream() -> None:
    raw = render(_message(), [MimeAttachment("a", "image/png\r\nBcc: evil@x.com", b"x"),
                              MimeAttachment("b", "multipart/mixed", b"x")])
    types = [item.content_type for item in parse(raw).attachments if isinstance(item, MimeAttachment)]
    assert types == ["application/octet-stream"] * 2


# --- base64 MIME bodies ------------------------------------------------------------------------------

def test_base64_mime_with_line_breaks_decodes() -> None:
    raw = render(_message())
    encoded = base64.encodebytes(raw)  # 76-character lines, as clients send it
    assert b"\n" in encoded
    assert decode_base64_mime(encoded) == raw
    assert decode_base64_mime(b"  " + base64.b64encode(raw) + b"\r\n") == raw
    assert parse(decode_base64_mime(encoded)).message["subject"] == "Quarterly numbers"


@pytest.mark.parametrize("text", [b"", b" \r\n", b"not base64!", b"QUJD=", b"QQ", b"QUJD$$", b"QQ==QQ==",
                                  "Rm9v√".encode()])
def test_bad_base64_is_refused(text: bytes) -> None:
    with pytest.raises(MimeError):
        decode_base64_mime(text)


# --- parsing what others wrote -----------------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b"",
    b"\r\n\r\n",
    b"\x00\x01\x02\xff garbage",
    b"just some words, no headers at all\r\nand another line\r\n",
    b"Subject: nobody\r\nX-Foo: bar\r\n\r\nno From and no recipient\r\n",
    b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n",
    b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=XYZ\r\n\r\nthe boundary never comes\r\n",
    b"From: a@example.com\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJDR\r\n",
])
def test_unreadable_mime_is_refused(raw: bytes) -> None:
    with pytest.raises(MimeError):
        parse(raw)


def test_message_from_another_client_is_read() -> None:
    raw = (
        b"Return-Path: <bounce@lists.example.com>\r\n"
        b"From: =?iso-8859-1?q?Fran=E7ois?= <francois@example.fr>\r\n"
        b"To: undisclosed-recipients:;\r\n"
        b"Cc: team: x@example.com, \"Doe, Jane\" <jane@example.com>;\r\n"
        b"Subject: =?utf-8?b?w4ljaGFuZ2U=?=\r\n continued\r\n"
        b"Date: Tue, 5 Mar 2024 08:00:00 +0100\r\n"
        b"Message-ID: <m1@example.fr>\r\n"
        b"In-Reply-To: <p1@example.fr> (comment)\r\n"
        b"References: <r1@example.fr>\r\n <p1@example.fr>\r\n"
        b"X-Priority: 2 (High)\r\n"
        b"X-Mailer: Thunderbird\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
        b"preamble\r\n--b1\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Voil=E0 le rapport.\r\n--b1\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nA footer added by a list.\r\n--b1\r\n"
        b"Content-Type: application/vnd.ms-excel; name=\"=?utf-8?q?r=C3=A9sum=C3=A9=2Exls?=\"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b1--\r\nepilogue\r\n")
    parsed = parse(raw)
    message = parsed.message
    assert message["from"] == _recipient("francois@example.fr", "François")
    assert message["sender"] == message["from"]
    assert message["toRecipients"] == []
    assert message["ccRecipients"] == [_recipient("x@example.com"), _recipient("jane@example.com", "Doe, Jane")]
    assert message["subject"] == "Échange continued"
    assert message["body"] == {"contentType": "text", "content": "Voilà le rapport."}
    assert message["importance"] == "high"
    assert message["internetMessageHeaders"] == [{"name": "X-Mailer", "value": "Thunderbird"}]
    assert parsed.sent == datetime(2024, 3, 5, 7, 0, tzinfo=timezone.utc)
    assert (parsed.internet_message_id, parsed.in_reply_to) == ("<m1@example.fr>", "<p1@example.fr>")
    assert parsed.references == ("<r1@example.fr>", "<p1@example.fr>")
    assert parsed.attachments == (
        MimeAttachment("ATT00001.txt", "text/plain", b"A footer added by a list."),
        MimeAttachment("résumé.xls", "application/vnd.ms-excel", b"\x00\x01\x02"))


def test_message_with_only_a_recipient_and_no_body_is_read() -> None:
    parsed = parse(b"To: bob@example.org\r\n\r\n")
    assert parsed.message["toRecipients"] == [_recipient("bob@example.org")]
    assert "from" not in parsed.message
    assert parsed.message["body"] == {"contentType": "text", "content": ""}
    assert (parsed.internet_message_id, parsed.sent) == (None, None)


def test_importance_header_wins_over_x_priority() -> None:
    parsed = parse(b"From: a@example.com\r\nImportance: Low\r\nX-Priority: 1\r\n\r\nhi\r\n")
    assert parsed.message["importance"] == "low"


@pytest.mark.parametrize("raw", [nested_multipart(2000), nested_rfc822(500), nested_multipart(MAX_NESTING)],
                         ids=["multipart-2000", "rfc822-500", "multipart-one-past-the-bound"])
def test_mime_nested_too_deep_is_refused_as_mime_error(raw: bytes) -> None:
    with pytest.raises(MimeError, match="nests parts or attached messages more than 64 levels deep"):
        parse(raw)


@pytest.mark.parametrize("count", [MAX_PARTS + 1, 100_000])
def test_mime_with_more_parts_than_the_bound_is_refused_as_mime_error(count: int) -> None:
    with pytest.raises(MimeError, match=f"more than {MAX_PARTS} parts"):
        parse(many_parts(count))


def test_mime_with_as_many_parts_as_the_bound_is_read() -> None:
    # The root counts: MAX_PARTS - 1 text parts, the first the body, the others attachments.
    parsed = parse(many_parts(MAX_PARTS))
    assert parsed.message["body"]["content"] == "part 0"
    assert len(parsed.attachments) == MAX_PARTS - 2


def test_mime_nested_up_to_the_bound_is_read() -> None:
    # The root and the text part at the bottom are levels too.
    parsed = parse(nested_multipart(MAX_NESTING - 1))
    assert parsed.message["body"] == {"contentType": "text", "content": "the bottom"}
    [attached] = parse(nested_rfc822(10)).attachments
    assert isinstance(attached, MimeItemAttachment) and attached.name == "Layer 1"


def test_an_address_header_with_comments_nested_thousands_deep_is_refused_as_mime_error() -> None:
    with pytest.raises(MimeError, match="nested too deeply"):
        parse(nested_comments(5000))


def test_an_address_name_in_raw_utf_8_is_read_as_utf_8() -> None:
    parsed = parse("From: Zoë Ångström <zoe@example.org>\r\nTo: Bob <bob@example.org>\r\n\r\nhi\r\n".encode())
    assert parsed.message["from"] == _recipient("zoe@example.org", "Zoë Ångström")


@pytest.mark.parametrize("raw", [b"From: =?utf-8?b?7aCA?= <zed@example.org>\r\n\r\nhi\r\n",
                                 b"From: Z\xffed <z\xfe@example.org>\r\n\r\nhi\r\n"], ids=["encoded-word", "8-bit"])
def test_address_bytes_that_are_no_utf_8_are_replaced_never_kept_as_surrogates(raw: bytes) -> None:
    author = parse(raw).message["from"]["emailAddress"]
    assert "\ufffd" in author["name"]
    for text in author.values():
        text.encode("utf-8")  # a lone surrogate would raise here, as the store and JSON would


# --- bounds on header blocks, checked before the stdlib reads a value ---------------------------------

@pytest.mark.parametrize("build", [many_headers, big_header_block, big_header, many_parameters, many_addresses,
                                   long_addresses], ids=lambda build: build.__name__)
def test_a_header_block_at_each_bound_is_read_and_one_past_it_is_refused(build: Any) -> None:
    assert parse(build(0)).message["from"] == _recipient("zed@example.org", "Zed")
    with pytest.raises(MimeError):
        parse(build(1))


def test_500_named_recipients_in_to_and_cc_are_read() -> None:
    parsed = parse(named_recipients(500))
    assert len(parsed.message["toRecipients"]) + len(parsed.message["ccRecipients"]) == 500
    assert parsed.message["toRecipients"][0] == _recipient("firstname.lastname0@mail.example.org",
                                                           "Lastname0, Firstname")


@pytest.mark.parametrize("raw", [
    AUTHOR + b"To: bob@example.org\r\nContent-Type: text/plain" + b"; p=v" * 50_000 + b"\r\n\r\nhi\r\n",
    AUTHOR + b"To: " + b", ".join(b"u%d@example.org" % n for n in range(20_000)) + b"\r\n\r\nhi\r\n",
    AUTHOR + b"X-Filler: x\r\n" * 100_000 + b"\r\nhi\r\n",
    commented_content_type(4_000),
    backslashed_to(6_000),
], ids=["parameters-50000", "addresses-20000", "headers-100000", "content-type-comments-4000", "to-backslashes-6000"])
def test_headers_that_cost_the_stdlib_minutes_are_refused_as_mime_error(raw: bytes) -> None:
    with pytest.raises(MimeError):
        parse(raw)


def test_custom_headers_keep_their_order_when_their_names_repeat() -> None:
    parsed = parse(b"From: a@example.com\r\nX-A: 1\r\nX-B: 2\r\nx-a: 3\r\n\r\nhi\r\n")
    assert parsed.message["internetMessageHeaders"] == [
        {"name": "X-A", "value": "1"}, {"name": "X-B", "value": "2"}, {"name": "x-a", "value": "3"}]
