"""Opaque ids that look like Graph's. Clients only store and echo them; graphpost looks them up
as plain strings, so the bytes inside mean nothing to it: the clock, then random bytes."""

from __future__ import annotations

import base64
import os
import random
import re
import struct
import time
from datetime import datetime

# Graph ids are URL-safe base64 of an Exchange entry id; these prefixes are what real ones start with.
_MESSAGE_PREFIX = b"\x00\x03\x24\x00"       # encodes to "AAMkA…"
_FOLDER_PREFIX = b"\x01\x03\x24\x00"         # encodes to "AQMkA…"
_IMMUTABLE_PREFIX = b"\x00\x09\x00\x2e\x00\x00"  # encodes to "AAkALgAA…", as real immutable ids start
IMMUTABLE_ID_START = "AAkALg"
_WELL_FORMED = re.compile(r"[A-Za-z0-9_\-+/]{16,400}={0,2}")
# Ids name things, they guard nothing (every lookup is checked against the caller's mailbox), so
# a fast generator seeded from the OS will do; secrets that do guard something (upload-session
# tokens, app secrets) come from the `secrets` module.
_random = random.Random(os.urandom(32))
# A forked child must not repeat its parent's sequence (the same ids twice).
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))
# 100 ns intervals between 1601-01-01 (FILETIME epoch) and the Unix epoch.
_FILETIME_UNIX_OFFSET = 116444736000000000


def _encode(prefix: bytes, size: int) -> str:
    # The clock first: ids made one after another share their leading characters, so the
    # messages' id indexes take each new one next to the last ones. With wholly random ids every
    # insert wrote another page of each index, and SQLite wrote and checkpointed all of them
    # (bench/README.md). Real Graph ids share long leading parts too (mailbox, folder).
    return base64.urlsafe_b64encode(prefix + time.time_ns().to_bytes(8, "big") + _random.randbytes(size - 8)).decode()


def new_message_id() -> str:
    return _encode(_MESSAGE_PREFIX, 67)


def new_immutable_id() -> str:
    """An id that stays with a message for its life in the mailbox (moves and sending included)."""
    return _encode(_IMMUTABLE_PREFIX, 64)


def is_immutable(item_id: str) -> bool:
    # The two kinds of id are told apart by their prefix, as Exchange tells its entry ids apart:
    # either kind names the message, whichever IdType the request prefers.
    return item_id.startswith(IMMUTABLE_ID_START)


def new_attachment_id() -> str:
    return _encode(_MESSAGE_PREFIX, 80)


def new_upload_session_id() -> str:
    return _encode(b"\x00\x03\x24\x01", 32)


def new_folder_id() -> str:
    return _encode(_FOLDER_PREFIX, 41)


def new_change_key() -> str:
    return base64.b64encode(b"\x09\x00\x00\x00\x16\x00\x00\x00" + _random.randbytes(13)).decode()


def new_conversation_id() -> str:
    return _encode(b"\x00\x04\x24\x00", 44)


def conversation_index(at: datetime) -> str:
    """The 22-byte header block of a thread index ([MS-OXOMSG] 2.2.1.3): a reserved byte, the
    top 5 bytes of the FILETIME, and a GUID."""
    filetime = int(at.timestamp() * 10_000_000) + _FILETIME_UNIX_OFFSET
    header = b"\x01" + struct.pack(">Q", filetime)[:5] + _random.randbytes(16)
    return base64.b64encode(header).decode()


def new_request_id() -> str:
    """A version 4 UUID in its usual text form, as Graph's request-id header carries one."""
    value = _random.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48) | (0x4000 << 64) | (0x8000 << 48)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def new_internet_message_id(domain: str) -> str:
    # Unique, not secret: the same generator as the ids (uuid4 costs a system call each).
    return f"<{_random.randbytes(16).hex().upper()}@{domain}>"


def is_well_formed(item_id: str) -> bool:
    """Whether `item_id` could be one of our ids; a malformed one is Graph's 400, not a 404."""
    if not _WELL_FORMED.fullmatch(item_id):
        return False
    try:
        base64.urlsafe_b64decode(item_id + "=" * (-len(item_id) % 4))
    except ValueError:
        return False
    return True
