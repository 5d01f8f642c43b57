"""Messages whose headers go past graphpost.mail.mime's bounds, as an attacker would write them
(or, with `extra=0`, just at them): for the unit tests and for the API and inbound SMTP alike."""

from __future__ import annotations

from graphpost.mail.mime import (
    MAX_ADDRESS_BYTES,
    MAX_ADDRESS_ITEMS_PER_HEADER,
    MAX_HEADER_BLOCK_BYTES,
    MAX_HEADER_BYTES,
    MAX_HEADERS,
    MAX_PARAMETERS_PER_HEADER,
)

AUTHOR = b"From: Zed <zed@example.org>\r\n"
BODY = b"\r\nthe body\r\n"


def many_headers(extra: int = 1) -> bytes:
    """MAX_HEADERS headers (From among them) and `extra` more."""
    fill = b"".join(b"Received: by relay%d.example.org\r\n" % n for n in range(MAX_HEADERS - 2 + extra))
    return AUTHOR + b"To: bob@contoso.test\r\n" + fill + BODY


def big_header_block(extra: int = 1) -> bytes:
    """A header block of MAX_HEADER_BLOCK_BYTES bytes (each line's CRLF counted) and `extra` more."""
    head = AUTHOR + b"To: bob@contoso.test\r\n"
    line = b"Received: " + b"r" * 8000 + b"\r\n"
    lines, rest = divmod(MAX_HEADER_BLOCK_BYTES + extra - len(head), len(line))
    return head + line * lines + b"Received: " + b"r" * (rest - 12) + b"\r\n" + BODY


def big_header(extra: int = 1) -> bytes:
    """A Subject whose value (after the colon, its CRLFs included) is MAX_HEADER_BYTES bytes and `extra`
    more, folded into lines SMTP carries."""
    words, rest = divmod(MAX_HEADER_BYTES + extra - 2, 7)
    return AUTHOR + b"To: bob@contoso.test\r\nSubject:" + b"x" * rest + b"\r\n word" * words + b"\r\n" + BODY


def many_parameters(extra: int = 1) -> bytes:
    """A Content-Type with MAX_PARAMETERS_PER_HEADER parameters and `extra` more."""
    parameters = b"".join(b';\r\n p%d="v;%d"' % (n, n) for n in range(MAX_PARAMETERS_PER_HEADER + extra))
    return AUTHOR + b"To: bob@contoso.test\r\nContent-Type: text/plain" + parameters + b"\r\n" + BODY


def commented_content_type(comments: int) -> bytes:
    """A Content-Type holding `comments` comments (RFC 5322 §3.2.2 allows them anywhere)."""
    return AUTHOR + b"To: bob@contoso.test\r\nContent-Type: text/plain" + b"\r\n (c)" * comments + b"\r\n" + BODY


def many_addresses(extra: int = 1) -> bytes:
    """A To header of MAX_ADDRESS_ITEMS_PER_HEADER addresses and `extra` more."""
    addresses = b",\r\n ".join(b"user%d@example.org" % n for n in range(MAX_ADDRESS_ITEMS_PER_HEADER + extra))
    return AUTHOR + b"To: " + addresses + b"\r\n" + BODY


def long_addresses(extra: int = 1) -> bytes:
    """Address headers of MAX_ADDRESS_BYTES bytes together (values after the colon, CRLFs
    included) and `extra` more, in few addresses."""
    head = AUTHOR.removeprefix(b"From:")
    size = MAX_ADDRESS_BYTES + extra - len(head) - len(b" @example.org\r\n")
    return b"From:" + head + b"To: " + b"a" * size + b"@example.org\r\n" + BODY


def named_recipients(count: int) -> bytes:
    """`count` recipients with display names, as Outlook writes them, in To and Cc."""
    def header(name: bytes, numbers: range) -> bytes:
        return name + b": " + b",\r\n ".join(b'"Lastname%d, Firstname" <firstname.lastname%d@mail.example.org>' % (n, n)
                                              for n in numbers) + b"\r\n"
    return AUTHOR + header(b"To", range(count // 2)) + header(b"Cc", range(count // 2, count)) + BODY


def backslashed_to(pairs: int) -> bytes:
    """A To of few bytes and many tokens: `pairs` times a folding white space and a backslash."""
    return AUTHOR + b"To:" + b"\r\n \\" * pairs + b" bob@contoso.test\r\n" + BODY
