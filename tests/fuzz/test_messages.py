"""Messages from any JSON: creating a draft, changing it (PATCH), sending it, sendMail, and reading
back what was stored (the message, its MIME) never answer 5xx, and a refused write writes nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from graphpost.store.database import Database
from tests.api.mail_helpers import Mailbox
from tests.fuzz.conftest import assert_graph_answer, refused_cleanly, row_counts
from tests.fuzz.graph_json import body_of, message
from tests.fuzz.text import json_bytes, json_value

JSON = {"Content-Type": "application/json"}


async def _read_back(mailbox: Mailbox, message_id: str) -> None:
    for tail in (f"messages/{message_id}", f"messages/{message_id}/$value", f"messages/{message_id}/attachments"):
        assert_graph_answer(await mailbox.get(tail))


@given(body=body_of(message))
async def test_creating_a_draft_from_any_body_is_a_draft_or_a_clean_refusal(alice: Mailbox, db: Database,
                                                                            body: bytes) -> None:
    before = await row_counts(db)
    response = await alice.post("messages", content=body, headers=JSON)
    await refused_cleanly(db, before, response)
    if response.status_code == 201:
        await _read_back(alice, response.json()["id"])


@given(body=body_of(message))
async def test_patching_a_draft_with_any_body_changes_it_or_leaves_it_as_it_was(alice: Mailbox, db: Database,
                                                                               draft_id: str, body: bytes) -> None:
    before = await alice.get(f"messages/{draft_id}")
    response = await alice.patch(f"messages/{draft_id}", content=body, headers=JSON)
    assert_graph_answer(response)
    after = await alice.get(f"messages/{draft_id}")
    if response.status_code >= 400:
        assert after.json() == before.json()
    await _read_back(alice, draft_id)


@given(draft=message)
async def test_sending_any_draft_sends_it_or_refuses_cleanly(alice: Mailbox, db: Database,
                                                            draft: dict[str, Any]) -> None:
    created = await alice.post("messages", content=json_bytes(draft), headers=JSON)
    assert_graph_answer(created)
    if created.status_code != 201:
        return
    draft_id = created.json()["id"]
    before = await row_counts(db)
    response = await alice.send(draft_id)
    await refused_cleanly(db, before, response)
    if response.status_code >= 400:
        await _read_back(alice, draft_id)


@given(parameters=st.fixed_dictionaries({"message": st.one_of(message, message, json_value)},
                                        optional={"saveToSentItems": st.one_of(st.booleans(), json_value),
                                                  "SaveToSentItems": json_value, "bogus": json_value}),
       body=st.none() | body_of(json_value))
async def test_send_mail_with_any_parameters_sends_or_refuses_cleanly(alice: Mailbox, db: Database,
                                                                     parameters: dict[str, Any],
                                                                     body: bytes | None) -> None:
    before = await row_counts(db)
    if body is None:
        response = await alice.post("sendMail", content=json_bytes(parameters), headers=JSON)
    else:
        response = await alice.post("sendMail", content=body, headers=JSON)
    await refused_cleanly(db, before, response)
