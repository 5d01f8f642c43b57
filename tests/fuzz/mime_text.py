"""Strategies for MIME messages as a client may post them (base64, declared text/plain): headers
with encoded words, odd charsets and folding, every Content-Transfer-Encoding, multiparts a few
levels deep with good and bad boundaries, and base64 that is not quite base64."""

from __future__ import annotations

import base64

from hypothesis import strategies as st

from tests.fuzz.text import LOCAL_AND_EXTERNAL, nasty_text, short_text

CHARSETS = ["utf-8", "UTF-8", "iso-8859-1", "us-ascii", "utf-16", "utf-7", "gb2312", "unknown-8bit", "x-fake",
            "", "utf-8\"", "../../etc"]
HEADER_NAMES = ["From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
                "Reply-To", "Sender", "Importance", "X-Priority", "MIME-Version", "Content-Type",
                "Content-Transfer-Encoding", "Content-Disposition", "Content-ID", "X-Custom", "Return-Path",
                "Disposition-Notification-To", "Return-Receipt-To", "Keywords", "Thread-Index"]
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "BASE64", "x-uuencode", "bogus", ""]
MEDIA_TYPES = ["text/plain", "text/html", "application/octet-stream", "image/png", "message/rfc822",
               "multipart/mixed", "multipart/alternative", "text/calendar", "bogus", "", "text/"]


def _encoded_word(charset: str, kind: str, payload: bytes) -> str:
    text = base64.b64encode(payload).decode() if kind in "Bb" else payload.decode("latin-1").replace(" ", "_")
    return f"=?{charset}?{kind}?{text}?="


encoded_word = st.builds(_encoded_word, st.sampled_from(CHARSETS), st.sampled_from(["B", "Q", "b", "X"]),
                         st.binary(max_size=30))


def _header_text(text: str) -> str:
    # Lone surrogates cannot be written as bytes: put what a broken client would send (U+FFFD) instead.
    return text.encode("utf-8", "replace").decode("utf-8")


header_value = st.one_of(
    st.sampled_from(LOCAL_AND_EXTERNAL + ["Alice <alice@contoso.test>", "undisclosed-recipients:;", "<>",
                                          "Mon, 32 Foo 2026 99:99:99 +9999", "Wed, 02 Dec 2026 08:00:00 +0000",
                                          "<id@example.com>", "<<>>", "1 (Highest)", "high", "0", ""]),
    st.lists(encoded_word, min_size=1, max_size=3).map(" ".join),
    nasty_text().map(_header_text),
    st.builds(lambda a, b: f"{a}\r\n {b}", short_text.map(_header_text), short_text.map(_header_text)),
)
header = st.tuples(st.one_of(st.sampled_from(HEADER_NAMES), st.text("abcXYZ-:", min_size=1, max_size=10)),
                   header_value)


def _content_type(media_type: str, charset: str, boundary: str | None) -> str:
    value = media_type + (f"; charset=\"{charset}\"" if charset else "")
    return value + (f"; boundary=\"{boundary}\"" if boundary is not None else "")


@st.composite
def mime_part(draw: st.DrawFn, depth: int = 0) -> bytes:
    headers = draw(st.lists(header, max_size=3))
    if depth < 3 and draw(st.integers(0, 3)) == 0:
        boundary = draw(st.sampled_from(["b1", "==b==", "", "x" * 80, "a b", "b1\r\n"]))
        parts = draw(st.lists(mime_part(depth + 1), max_size=3))
        closing = draw(st.sampled_from([f"--{boundary}--", "", f"--{boundary}"]))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts) + closing.encode()
        headers.append(("Content-Type", _content_type(draw(st.sampled_from(["multipart/mixed",
                                                                            "multipart/alternative",
                                                                            "multipart/related"])), "", boundary)))
    else:
        encoding = draw(st.sampled_from(ENCODINGS))
        raw = draw(st.one_of(st.binary(max_size=200), nasty_text().map(lambda text: text.encode("utf-8", "replace"))))
        body = base64.encodebytes(raw) if encoding.lower() == "base64" and draw(st.booleans()) else raw
        headers.append(("Content-Type", _content_type(draw(st.sampled_from(MEDIA_TYPES)),
                                                      draw(st.sampled_from(CHARSETS)), None)))
        headers.append(("Content-Transfer-Encoding", encoding))
        if draw(st.booleans()):
            headers.append(("Content-Disposition", draw(st.sampled_from(
                ["attachment", "inline", "attachment; filename=\"a.txt\"", "attachment; filename*=utf-8''%E2%82%AC.txt",
                 "attachment; filename=\"\"", "inline; filename=\"=?utf-8?B?4oKs?=\"", "bogus;;;"]))))
    head = b"".join(f"{name}: {value}".encode("utf-8", "replace") + b"\r\n" for name, value in headers)
    return head + b"\r\n" + body


@st.composite
def mime_message(draw: st.DrawFn) -> bytes:
    """A message with From and To most of the time (so that it gets past them to the rest)."""
    envelope = b""
    if draw(st.integers(0, 4)):
        envelope = (f"From: {draw(st.sampled_from(['alice@contoso.test', 'Alice <alice@contoso.test>', '']))}\r\n"
                    f"To: {draw(st.sampled_from(['bob@contoso.test', 'ext@example.com', 'a@b, c@d', '']))}\r\n"
                    ).encode()
    message = envelope + draw(mime_part())
    if draw(st.booleans()):
        message = message.replace(b"\r\n", b"\n")
    return message


def _base64_variant(raw: bytes, variant: int) -> bytes:
    encoded = base64.b64encode(raw)
    return [encoded, base64.encodebytes(raw), encoded.rstrip(b"="), encoded + b"!!", b" " + encoded + b"\r\n",
            base64.urlsafe_b64encode(raw), raw][variant]


# The body of a MIME POST: the message in base64 as Graph wants it, or base64 that is a little off.
mime_body = st.builds(_base64_variant, mime_message(), st.sampled_from([0, 0, 0, 1, 2, 3, 4, 5, 6]))
