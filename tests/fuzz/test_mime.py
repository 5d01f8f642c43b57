"""Base64 MIME messages (Content-Type: text/plain) posted as a new draft or through sendMail: a
draft, a 202, or a Graph 400 that wrote nothing — never a 5xx."""

from __future__ import annotations

from hypothesis import given

from graphpost.store.database import Database
from tests.api.mail_helpers import Mailbox
from tests.fuzz.conftest import assert_graph_answer, refused_cleanly, row_counts
from tests.fuzz.mime_text import mime_body

MIME = {"Content-Type": "text/plain"}


@given(body=mime_body)
async def test_posting_any_mime_message_makes_a_draft_or_refuses_cleanly(alice: Mailbox, db: Database,
                                                                         body: bytes) -> None:
    before = await row_counts(db)
    response = await alice.post("messages", content=body, headers=MIME)
    await refused_cleanly(db, before, response)
    if response.status_code == 201:
        message_id = response.json()["id"]
        for tail in (f"messages/{message_id}", f"messages/{message_id}/$value", f"messages/{message_id}/attachments"):
            assert_graph_answer(await alice.get(tail))


@given(body=mime_body)
async def test_sending_any_mime_message_sends_it_or_refuses_cleanly(alice: Mailbox, db: Database, body: bytes) -> None:
    before = await row_counts(db)
    response = await alice.post("sendMail", content=body, headers=MIME)
    await refused_cleanly(db, before, response)
