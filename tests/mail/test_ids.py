"""Ids graphpost makes up: request ids are version 4 UUIDs in their text form, never repeated;
item ids are well formed, unique, and those made in turn share their leading part."""

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


def test_item_ids_made_in_turn_share_their_leading_part_and_never_repeat() -> None:
    # The clock leads (graphpost/mail/ids.py): ids made together sit together in an index.
    made = [ids.new_message_id() for _ in range(20_000)]
    assert len(set(made)) == len(made)
    assert all(ids.is_well_formed(item) and item.startswith("AAMkA") for item in made)
    for before, after in zip(made, made[1:]):
        assert before[:8] == after[:8], (before, after)
    immutable = [ids.new_immutable_id(), ids.new_immutable_id()]
    assert immutable[0][:10] == immutable[1][:10] and ids.is_immutable(immutable[1])
