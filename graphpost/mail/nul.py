"""U+0000 (NUL) in what a client or a sender hands in, answered alike on both backends.

PostgreSQL's text and jsonb refuse NUL and SQLite keeps it, so without a rule of our own the same
request is a 500 on one backend and stored on the other. No Exchange item holds a NUL: its string
properties are NUL-terminated MAPI strings, and its XML protocol cannot carry the character at all
(XML 1.0 §2.2; the EWS managed API refuses control characters in a body, "The invalid value '…' was
specified for the 'Body' element.", OfficeDev/ews-managed-api#77). So:

- from a client (a JSON body, a query option), a NUL is refused with a 400 before anything is
  read further or written: the client can send the text without it;
- in MIME (a message handed in base64, or received over SMTP), where RFC 5322 allows no NUL and
  the sender is not always there to answer, it is dropped, as mail/mime.py already drops every
  other control character from header text."""

from __future__ import annotations

import dataclasses
from typing import Any

from graphpost.errors import InvalidRequest

NUL = "\x00"


def invalid_character(where: str) -> InvalidRequest:
    return InvalidRequest(f"The {where} contains an invalid character (U+0000).")


def refuse_in_json(raw: bytes, value: Any) -> None:
    """Refuse `value`, parsed from the JSON text `raw`, if any of its strings (keys included)
    holds a NUL. JSON can only write one as the escape \\u0000, so a body without that text is not
    walked at all."""
    if b"\\u0000" not in raw:
        return
    # A stack, not recursion: orjson reads JSON nested deeper than Python's recursion limit.
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if NUL in item:
                raise invalid_character("request body")
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def dropped(value: Any) -> Any:
    """`value` (a string, or a dataclass, list, tuple or dict holding strings) with every NUL
    removed from its strings; bytes and other values are left as they are."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{field.name: dropped(getattr(value, field.name))
                                             for field in dataclasses.fields(value) if field.init})
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, dict):
        return {dropped(key): dropped(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(dropped(item) for item in value)
    return value
