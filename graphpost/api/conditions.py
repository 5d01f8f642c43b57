"""`If-Match` on a message: the change keys the client holds (from `@odata.etag`, W/"<changeKey>")."""

from __future__ import annotations

from fastapi import Request


def if_match(request: Request) -> frozenset[str] | None:
    """The change keys an `If-Match` header accepts; None when any will do (no header, or `*`)."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    keys = set()
    for tag in header.split(","):
        tag = tag.strip()
        if tag.startswith("W/"):
            tag = tag[2:]
        keys.add(tag.strip('"'))
    return frozenset(keys)
