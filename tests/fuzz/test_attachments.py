"""Attachments from any JSON, inline in a new draft or posted one by one: an attachment, or a
Graph 4xx that wrote nothing; what was stored reads back (the list, $value, the message's MIME)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from graphpost.store.database import Database
from tests.api.mail_helpers import Mailbox
from tests.fuzz.conftest import assert_graph_answer, examples, refused_cleanly, row_counts
from tests.fuzz.graph_json import attachment, body_of
from tests.fuzz.text import json_bytes, json_value

JSON = {"Content-Type": "application/json"}


async def _read_back(mailbox: Mailbox, message_id: str) -> None:
    listed = await mailbox.get(f"messages/{message_id}/attachments")
    assert_graph_answer(listed)
    for item in listed.json()["value"]:
        for tail in (f"messages/{message_id}/attachments/{item['id']}",
                     f"messages/{message_id}/attachments/{item['id']}/$value"):
            assert_graph_answer(await mailbox.get(tail))
    assert_graph_answer(await mailbox.get(f"messages/{message_id}/$value"))


@given(body=body_of(attachment))
async def test_adding_any_attachment_adds_it_or_refuses_cleanly(alice: Mailbox, db: Database, draft_id: str,
                                                                body: bytes) -> None:
    before = await row_counts(db)
    response = await alice.post(f"messages/{draft_id}/attachments", content=body, headers=JSON)
    await refused_cleanly(db, before, response)
    if response.status_code == 201:
        await _read_back(alice, draft_id)
        deleted = await alice.delete(f"messages/{draft_id}/attachments/{response.json()['id']}")
        assert deleted.status_code == 204, deleted.text


@examples(25)
@given(attachments=st.one_of(st.lists(attachment, max_size=3), json_value),
       send=st.booleans())
async def test_a_message_with_any_inline_attachments_is_stored_or_refused_cleanly(
        alice: Mailbox, db: Database, attachments: Any, send: bool) -> None:
    message = {"subject": "fuzz", "toRecipients": [{"emailAddress": {"address": "bob@contoso.test"}},
                                                   {"emailAddress": {"address": "ext@example.com"}}],
               "attachments": attachments}
    before = await row_counts(db)
    if send:
        response = await alice.post("sendMail", content=json_bytes({"message": message}), headers=JSON)
    else:
        response = await alice.post("messages", content=json_bytes(message), headers=JSON)
    await refused_cleanly(db, before, response)
    if response.status_code == 201:
        await _read_back(alice, response.json()["id"])


@given(item=st.one_of(st.fixed_dictionaries({}, optional={
    "@odata.type": st.sampled_from(["#microsoft.graph.attachmentItem", "", "bogus"]),
    "attachmentType": st.one_of(st.sampled_from(["file", "item", "File", "bogus"]), json_value),
    "name": json_value, "size": st.one_of(st.integers(), json_value), "contentType": json_value,
    "isInline": json_value, "contentId": json_value}), json_value))
async def test_creating_an_upload_session_from_any_item_works_or_refuses_cleanly(
        alice: Mailbox, db: Database, draft_id: str, item: Any) -> None:
    response = await alice.post(f"messages/{draft_id}/attachments/createUploadSession",
                                content=json_bytes({"AttachmentItem": item}), headers=JSON)
    assert_graph_answer(response)
