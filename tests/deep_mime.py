"""Messages nested deeper than any mail client writes, as an attacker would: for the MIME parser's
nesting bound, over the API and over inbound SMTP alike."""

from __future__ import annotations

HEADERS = b"From: Zed <zed@example.org>\r\nTo: bob@contoso.test\r\nSubject: Deep\r\nMIME-Version: 1.0\r\n"


def nested_multipart(depth: int) -> bytes:
    """multipart/mixed inside multipart/mixed, `depth` levels, a text part at the bottom."""
    opening = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
                       for level in range(depth))
    closing = b"".join(b"\r\n--b%d--" % level for level in reversed(range(depth)))
    return HEADERS + opening + b"Content-Type: text/plain\r\n\r\nthe bottom" + closing + b"\r\n"


def nested_rfc822(depth: int) -> bytes:
    """A message attached to a message, `depth` times."""
    wrappers = b"".join(b"From: zed@example.org\r\nTo: bob@contoso.test\r\nSubject: Layer %d\r\n"
                        b"Content-Type: message/rfc822\r\n\r\n" % level for level in range(depth))
    return wrappers + b"From: zed@example.org\r\nTo: bob@contoso.test\r\nSubject: Inside\r\n\r\nthe bottom\r\n"


def nested_comments(depth: int) -> bytes:
    """A From header whose comment holds a comment, `depth` times (RFC 5322 §3.2.2 lets them nest),
    folded into lines that SMTP carries."""
    folded = b"\r\n ".join([b"(" * 70] * (depth // 70) + [b"(" * (depth % 70)])
    return (b"From: " + folded + b"zed@example.org\r\nTo: bob@contoso.test\r\nSubject: Deep\r\n\r\n"
            b"the bottom\r\n")


def many_parts(count: int) -> bytes:
    """A multipart/mixed message of `count` parts in all: the root and `count - 1` text parts."""
    parts = b"".join(b"--p\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % number for number in range(count - 1))
    return HEADERS + b'Content-Type: multipart/mixed; boundary="p"\r\n\r\n' + parts + b"--p--\r\n"
