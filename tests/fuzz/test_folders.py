"""Folders from any JSON: create (top level and child), rename, and read back; a refused write
is a Graph 4xx that wrote nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from graphpost.store.database import Database
from tests.api.mail_helpers import Mailbox
from tests.fuzz.conftest import assert_graph_answer, refused_cleanly, row_counts
from tests.fuzz.graph_json import body_of, folder
from tests.fuzz.text import json_bytes, short_text

JSON = {"Content-Type": "application/json"}


@given(body=body_of(folder), child=st.booleans())
async def test_creating_a_folder_from_any_body_makes_it_or_refuses_cleanly(alice: Mailbox, db: Database,
                                                                           body: bytes, child: bool) -> None:
    before = await row_counts(db)
    tail = "mailFolders/inbox/childFolders" if child else "mailFolders"
    response = await alice.post(tail, content=body, headers=JSON)
    await refused_cleanly(db, before, response)
    if response.status_code == 201:
        folder_id = response.json()["id"]
        for read in (f"mailFolders/{folder_id}", f"mailFolders/{folder_id}/messages",
                     f"mailFolders/{folder_id}/childFolders"):
            assert_graph_answer(await alice.get(read))
        assert_graph_answer(await alice.get(tail, params={"$filter": f"displayName eq '{_quoted(response)}'"}))


def _quoted(response: Any) -> str:
    return str(response.json()["displayName"]).replace("'", "''")


@given(body=body_of(folder))
async def test_renaming_a_folder_with_any_body_renames_it_or_leaves_it(alice: Mailbox, db: Database,
                                                                      body: bytes) -> None:
    created = await alice.post("mailFolders", content=json_bytes({"displayName": "fuzz target"}), headers=JSON)
    if created.status_code == 409:
        created = await alice.get("mailFolders", params={"$filter": "displayName eq 'fuzz target'"})
        folder_id = created.json()["value"][0]["id"]
    else:
        folder_id = created.json()["id"]
    before = await alice.get(f"mailFolders/{folder_id}")
    response = await alice.patch(f"mailFolders/{folder_id}", content=body, headers=JSON)
    assert_graph_answer(response)
    if response.status_code >= 400:
        assert (await alice.get(f"mailFolders/{folder_id}")).json() == before.json()
    elif response.json()["displayName"] != "fuzz target":
        # Back to its name, so that the next example finds it.
        renamed = await alice.patch(f"mailFolders/{folder_id}", content=json_bytes({"displayName": "fuzz target"}),
                                    headers=JSON)
        assert renamed.status_code == 200, renamed.text


@given(reference=short_text)
async def test_any_folder_reference_in_a_path_is_found_or_not_found(alice: Mailbox, reference: str) -> None:
    quoted = quote(reference.encode("utf-8", "surrogatepass"), safe="")
    for tail in (f"mailFolders/{quoted}", f"mailFolders/{quoted}/messages", f"mailFolders/{quoted}/childFolders",
                 f"messages/{quoted}", f"messages/{quoted}/attachments", f"messages/{quoted}/$value"):
        assert_graph_answer(await alice.get(tail))
