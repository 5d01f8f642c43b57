"""Query options from a grammar, on message and folder collections: a page, or a Graph 400 —
never a 5xx, on either backend. The mailbox holds a few messages first, so that queries have rows
to compare, sort and page."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.api.mail_helpers import Mailbox
from tests.fuzz.conftest import assert_graph_answer, examples
from tests.fuzz.odata_text import FOLDER_PROPERTIES, MESSAGE_PROPERTIES, options

MESSAGE_COLLECTIONS = ["messages", "mailFolders/inbox/messages", "mailFolders/drafts/messages"]
FOLDER_COLLECTIONS = ["mailFolders", "mailFolders/msgfolderroot/childFolders"]


def query_string(chosen: dict[str, str]) -> str:
    # Percent-encoded by hand: a lone surrogate goes out as the bytes a broken client would send.
    return "&".join(f"{quote(name)}={quote(value.encode('utf-8', 'surrogatepass'), safe='')}"
                    for name, value in chosen.items())


def _within_url_limit(url: str) -> str:
    # httpx refuses a URL past 64 KiB before sending it (its MAX_URL_LENGTH).
    assume(len(url) < 60_000)
    return url


@pytest.fixture
async def filled(alice: Mailbox, bob: Mailbox) -> Mailbox:
    for subject, categories in (("fuzz one", ["red"]), ("Fuzz %_ two", []), ("third'quote", ["blue", "red"])):
        await alice.create_draft(subject=subject, categories=categories, importance="high",
                                 toRecipients=[{"emailAddress": {"address": "bob@contoso.test"}}])
    sent = await bob.send_mail({"subject": "to alice", "body": {"contentType": "html", "content": "<b>hi</b>"},
                                "toRecipients": [{"emailAddress": {"address": "alice@contoso.test"}}]})
    assert sent.status_code == 202, sent.text
    await alice.post("mailFolders", json={"displayName": "fuzz folder"})
    return alice


@examples(120)
@given(collection=st.sampled_from(MESSAGE_COLLECTIONS), chosen=options(MESSAGE_PROPERTIES, messages=True))
async def test_any_query_on_messages_is_a_page_or_a_graph_400(filled: Mailbox, collection: str,
                                                              chosen: dict[str, str]) -> None:
    response = await filled.get(_within_url_limit(f"{collection}?{query_string(chosen)}"))
    assert_graph_answer(response)
    if response.status_code == 200 and "@odata.nextLink" in response.json():
        assert_graph_answer(await filled.client.get(response.json()["@odata.nextLink"], headers=filled.headers))


@examples(120)
@given(collection=st.sampled_from(FOLDER_COLLECTIONS), chosen=options(FOLDER_PROPERTIES, messages=False))
async def test_any_query_on_folders_is_a_page_or_a_graph_400(filled: Mailbox, collection: str,
                                                             chosen: dict[str, str]) -> None:
    assert_graph_answer(await filled.get(_within_url_limit(f"{collection}?{query_string(chosen)}")))
