"""Ids graphpost makes up: request ids are version 4 UUIDs in their text form, never repeated."""

from __future__ import annotations

import uuid

from graphpost.mail import ids


def test_request_ids_are_uuid4_text_and_unique() -> None:
    seen = set()
    for _ in range(20_000):
        text = ids.new_request_id()
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, text)
        seen.add(text)
    assert len(seen) == 20_000
