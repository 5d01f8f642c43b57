"""Changing the folder tree: create (top level and childFolders), rename, delete (into Deleted
Items, then for good), move, copy; childFolders listing and nested navigation; permissions. Every
test checks the counts and parents of each folder it touches."""

import asyncio
from typing import Any

import httpx
import pytest

from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import (ALICE, BOB, MAILBOX_PATHS, Mailbox, content_of, delegated, entity,
                                    file_attachment, mailbox_via, recipients)
from tests.api.test_folders import FOLDER_KEYS, VISIBLE, unknown_folder_id
from tests.tokens import TokenMint

WELL_KNOWN_VISIBLE = ["inbox", "drafts", "sentitems", "deleteditems", "junkemail", "outbox", "archive",
                      "conversationhistory"]


async def create(mailbox: Mailbox, name: str, parent: str | None = None, **extra: Any) -> dict[str, Any]:
    tail = f"mailFolders/{parent}/childFolders" if parent else "mailFolders"
    response = await mailbox.post(tail, json={"displayName": name, **extra})
    assert response.status_code == 201, response.text
    return response.json()


async def children(mailbox: Mailbox, parent: str, **params: str) -> list[dict[str, Any]]:
    response = await mailbox.get(f"mailFolders/{parent}/childFolders", params={"$top": "100", **params})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "@odata.nextLink" not in body
    return body["value"]


async def child_count(mailbox: Mailbox, name: str) -> int:
    return (await mailbox.folder(name))["childFolderCount"]


async def fill(mailbox: Mailbox, folder_id: str, total: int, unread: int) -> list[str]:
    """`total` messages in the folder, `unread` of them unread; their ids."""
    made = []
    for number in range(total):
        response = await mailbox.post(f"mailFolders/{folder_id}/messages", json={"subject": f"m{number}"})
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
    for message_id in made[:unread]:
        assert (await mailbox.patch(f"messages/{message_id}", json={"isRead": False})).status_code == 200
    return made


def assert_folder(folder: dict[str, Any], name: str, parent_id: str, counts: tuple[int, int, int] = (0, 0, 0),
                  hidden: bool = False) -> None:
    """Name, parent, (childFolderCount, totalItemCount, unreadItemCount) and isHidden."""
    assert folder["displayName"] == name
    assert folder["parentFolderId"] == parent_id
    assert (folder["childFolderCount"], folder["totalItemCount"], folder["unreadItemCount"]) == counts
    assert folder["isHidden"] is hidden


# --- create -----------------------------------------------------------------------------------

@pytest.mark.parametrize("via", MAILBOX_PATHS)
async def test_post_mail_folders_creates_a_folder_under_the_top_of_the_mailbox(
        client: httpx.AsyncClient, tokens: TokenMint, via: str) -> None:
    mailbox = await mailbox_via(client, tokens, via)
    root = await mailbox.folder("msgfolderroot")
    created = await create(mailbox, "Projects")
    assert set(created) == FOLDER_KEYS | {"@odata.context"}
    version = via.split("/")[0]
    assert created["@odata.context"].startswith(f"http://graph.test/{version}/$metadata#users(")
    assert created["@odata.context"].endswith("/mailFolders/$entity")
    assert_folder(created, "Projects", root["id"])
    assert entity(await mailbox.folder(created["id"])) == entity(created)
    listed = {folder["displayName"]: folder for folder in await children(mailbox, "msgfolderroot")}
    assert sorted(listed) == sorted(VISIBLE + ["Projects"])
    assert listed["Projects"] == entity(created)
    assert await child_count(mailbox, "msgfolderroot") == root["childFolderCount"] + 1
    top = (await mailbox.get("mailFolders", params={"$top": "100"})).json()["value"]
    assert created["id"] in {folder["id"] for folder in top}


@pytest.mark.parametrize("parent", ["inbox", "Inbox", "by id"])
async def test_post_child_folders_creates_a_child_of_a_folder_named_by_id_or_well_known_name(
        alice: Mailbox, parent: str) -> None:
    inbox = await alice.folder("inbox")
    ref = inbox["id"] if parent == "by id" else parent
    created = await create(alice, "Receipts", ref)
    assert created["@odata.context"].endswith(f"/mailFolders('{ref}')/childFolders/$entity")
    assert_folder(created, "Receipts", inbox["id"])
    assert_folder(await alice.folder("inbox"), "Inbox", inbox["parentFolderId"], (1, 0, 0))
    assert [folder["id"] for folder in await children(alice, "inbox")] == [created["id"]]
    top = [folder["displayName"] for folder in await children(alice, "msgfolderroot")]
    assert sorted(top) == VISIBLE  # a child of the Inbox is not a top-level folder


async def test_folders_nest_and_each_counts_its_own_children(alice: Mailbox) -> None:
    a = await create(alice, "A")
    b = await create(alice, "B", a["id"])
    c1 = await create(alice, "C1", b["id"])
    c2 = await create(alice, "C2", b["id"])
    assert_folder(await alice.folder(a["id"]), "A", a["parentFolderId"], (1, 0, 0))
    assert_folder(await alice.folder(b["id"]), "B", a["id"], (2, 0, 0))
    for folder, name in ((c1, "C1"), (c2, "C2")):
        assert_folder(await alice.folder(folder["id"]), name, b["id"])
    assert [folder["displayName"] for folder in await children(alice, b["id"])] == ["C1", "C2"]


async def test_a_hidden_folder_is_listed_only_with_include_hidden_folders(alice: Mailbox) -> None:
    hidden = await create(alice, "Secret", "inbox", isHidden=True)
    shown = await create(alice, "Open", "inbox", isHidden=False)
    inbox = await alice.folder("inbox")
    assert_folder(hidden, "Secret", inbox["id"], hidden=True)
    assert_folder(shown, "Open", inbox["id"])
    assert [folder["id"] for folder in await children(alice, "inbox")] == [shown["id"]]
    everything = await children(alice, "inbox", includeHiddenFolders="true")
    assert [folder["id"] for folder in everything] == [shown["id"], hidden["id"]]
    assert inbox["childFolderCount"] == 2  # hidden children count too
    assert entity(await alice.folder(hidden["id"])) == entity(hidden)


@pytest.mark.parametrize("taken, name", [("Projects", "Projects"), ("Projects", "PROJECTS"),
                                         ("projects", "Projects")])
async def test_a_sibling_of_the_same_name_in_any_case_is_error_folder_exists(alice: Mailbox, taken: str,
                                                                              name: str) -> None:
    first = await create(alice, taken)
    nested = await create(alice, taken, "inbox")
    before_top = await child_count(alice, "msgfolderroot")
    assert_graph_error(await alice.post("mailFolders", json={"displayName": name}), 409, "ErrorFolderExists")
    assert_graph_error(await alice.post("mailFolders/inbox/childFolders", json={"displayName": name}),
                       409, "ErrorFolderExists")
    assert await child_count(alice, "msgfolderroot") == before_top
    assert [folder["id"] for folder in await children(alice, "inbox")] == [nested["id"]]
    assert entity(await alice.folder(first["id"])) == entity(first)


async def test_a_well_known_folders_name_is_taken_among_its_siblings(alice: Mailbox) -> None:
    before = await child_count(alice, "msgfolderroot")
    assert_graph_error(await alice.post("mailFolders", json={"displayName": "inbox"}), 409, "ErrorFolderExists")
    assert_graph_error(await alice.post("mailFolders", json={"displayName": "Sent Items"}), 409,
                       "ErrorFolderExists")
    assert await child_count(alice, "msgfolderroot") == before
    created = await create(alice, "Inbox", "inbox")  # another parent: no clash
    assert created["parentFolderId"] == (await alice.folder("inbox"))["id"]


async def test_a_hidden_sibling_takes_its_name_too(alice: Mailbox) -> None:
    await create(alice, "Invisible", isHidden=True)
    assert_graph_error(await alice.post("mailFolders", json={"displayName": "invisible"}), 409, "ErrorFolderExists")


async def test_concurrent_creates_of_one_name_make_exactly_one_folder(alice: Mailbox) -> None:
    responses = await asyncio.gather(*(alice.post("mailFolders/inbox/childFolders", json={"displayName": "Race"})
                                       for _ in range(6)))
    assert sorted(response.status_code for response in responses) == [201] + [409] * 5
    assert [folder["displayName"] for folder in await children(alice, "inbox")] == ["Race"]
    assert await child_count(alice, "inbox") == 1


@pytest.mark.parametrize("body", [{}, {"displayName": ""}, {"displayName": "   "}, {"displayName": None},
                                  {"isHidden": True}, {"displayName": "x" * 257}])
async def test_a_folder_without_a_usable_display_name_is_refused(alice: Mailbox, body: dict[str, Any]) -> None:
    before = await child_count(alice, "msgfolderroot")
    assert_graph_error(await alice.post("mailFolders", json=body), 400, "ErrorInvalidParameter")
    assert_graph_error(await alice.post("mailFolders/inbox/childFolders", json=body), 400, "ErrorInvalidParameter")
    assert await child_count(alice, "msgfolderroot") == before
    assert await child_count(alice, "inbox") == 0


@pytest.mark.parametrize("body", [{"displayName": 5}, {"displayName": ["x"]}, {"displayName": "x", "isHidden": "yes"},
                                  {"displayName": "x", "colour": "red"}])
async def test_wrong_property_types_and_unknown_properties_are_request_body_read(alice: Mailbox,
                                                                                  body: dict[str, Any]) -> None:
    assert_graph_error(await alice.post("mailFolders", json=body), 400, "RequestBodyRead")
    assert [folder["displayName"] for folder in await children(alice, "msgfolderroot")] == sorted(VISIBLE)


async def test_unreadable_or_empty_bodies_are_refused(alice: Mailbox) -> None:
    before = await child_count(alice, "msgfolderroot")
    assert_graph_error(await alice.post("mailFolders", content=b"{not json",
                                        headers={"Content-Type": "application/json"}), 400, "RequestBodyRead")
    assert_graph_error(await alice.post("mailFolders", content=b"[]",
                                        headers={"Content-Type": "application/json"}), 400, "RequestBodyRead")
    assert_graph_error(await alice.post("mailFolders"), 400, "BadRequest")
    assert await child_count(alice, "msgfolderroot") == before


async def test_what_sdks_send_along_is_accepted(alice: Mailbox) -> None:
    # Kiota serialises the model it was given: @odata.type and read-only properties may come along.
    created = await create(alice, "From SDK", "inbox", **{"@odata.type": "#microsoft.graph.mailFolder",
                                                         "isHidden": False, "childFolderCount": 7})
    assert_folder(created, "From SDK", (await alice.folder("inbox"))["id"])


async def test_a_parent_that_does_not_exist_or_is_not_ours_is_not_found(client: httpx.AsyncClient,
                                                                         tokens: TokenMint, alice: Mailbox) -> None:
    bobs_inbox = (await (await delegated(client, tokens, BOB)).folder("inbox"))["id"]
    for parent in (unknown_folder_id(), bobs_inbox):
        assert_graph_error(await alice.post(f"mailFolders/{parent}/childFolders", json={"displayName": "x"}),
                           404, "ErrorItemNotFound")
    assert_graph_error(await alice.post("mailFolders/not*an*id/childFolders", json={"displayName": "x"}),
                       400, "ErrorInvalidIdMalformed")
    assert await child_count(alice, "inbox") == 0
    assert (await (await delegated(client, tokens, BOB)).folder("inbox"))["childFolderCount"] == 0


# --- childFolders ---------------------------------------------------------------------------------

async def test_child_folders_page_with_top_and_skip_and_the_next_link_returns_the_rest(alice: Mailbox) -> None:
    names = [f"F{number:02d}" for number in range(7)]
    for name in reversed(names):
        await create(alice, name, "inbox")
    response = await alice.get("mailFolders/inbox/childFolders", params={"$top": "3"})
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["@odata.context"].endswith("/mailFolders('inbox')/childFolders")
    seen, pages = [], 0
    while True:
        pages += 1
        seen += [folder["displayName"] for folder in page["value"]]
        link = page.get("@odata.nextLink")
        if link is None:
            break
        assert link.startswith("http://graph.test/v1.0/me/mailFolders/inbox/childFolders?")
        page = (await alice.client.get(link, headers=alice.headers)).json()
    assert (pages, seen) == (3, names)
    skipped = (await alice.get("mailFolders/inbox/childFolders", params={"$skip": "5"})).json()
    assert [folder["displayName"] for folder in skipped["value"]] == names[5:]
    empty = (await alice.get("mailFolders/inbox/childFolders", params={"$top": "0"})).json()
    assert empty["value"] == [] and "@odata.nextLink" not in empty


async def test_child_folders_of_a_folder_that_is_not_there(client: httpx.AsyncClient, tokens: TokenMint,
                                                           alice: Mailbox) -> None:
    bobs_inbox = (await (await delegated(client, tokens, BOB)).folder("inbox"))["id"]
    assert_graph_error(await alice.get(f"mailFolders/{unknown_folder_id()}/childFolders"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.get(f"mailFolders/{bobs_inbox}/childFolders"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.get("mailFolders/a b/childFolders"), 400, "ErrorInvalidIdMalformed")
    assert await children(alice, "drafts") == []


async def test_a_child_folder_and_its_messages_answer_through_the_nested_path(alice: Mailbox) -> None:
    child = await create(alice, "Nested", "inbox")
    made = await fill(alice, child["id"], 2, 1)
    nested = await alice.get(f"mailFolders/inbox/childFolders/{child['id']}")
    assert nested.status_code == 200, nested.text
    assert nested.json()["@odata.context"].endswith("/mailFolders('inbox')/childFolders/$entity")
    assert entity(nested.json()) == entity(await alice.folder(child["id"]))
    assert_folder(nested.json(), "Nested", (await alice.folder("inbox"))["id"], (0, 2, 1))
    listed = await alice.get(f"mailFolders/inbox/childFolders/{child['id']}/messages")
    assert listed.status_code == 200, listed.text
    assert sorted(message["id"] for message in listed.json()["value"]) == sorted(made)
    assert sorted(message["id"] for message in await alice.messages_in(child["id"])) == sorted(made)
    assert all(message["parentFolderId"] == child["id"] for message in listed.json()["value"])


async def test_the_nested_path_needs_the_folder_to_be_a_child_of_the_one_named(alice: Mailbox) -> None:
    child = await create(alice, "Mine", "inbox")
    grandchild = await create(alice, "Deeper", child["id"])
    for parent, folder in (("drafts", child["id"]), ("inbox", grandchild["id"]), ("inbox", unknown_folder_id())):
        assert_graph_error(await alice.get(f"mailFolders/{parent}/childFolders/{folder}"), 404, "ErrorItemNotFound")
        assert_graph_error(await alice.get(f"mailFolders/{parent}/childFolders/{folder}/messages"), 404,
                           "ErrorItemNotFound")
    assert_graph_error(await alice.patch(f"mailFolders/drafts/childFolders/{child['id']}",
                                         json={"displayName": "Moved?"}), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.delete(f"mailFolders/drafts/childFolders/{child['id']}"), 404, "ErrorItemNotFound")
    assert entity(await alice.folder(child["id"])) == entity(
        {**child, "childFolderCount": 1})


# --- rename ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("via", MAILBOX_PATHS)
async def test_patch_renames_a_folder_and_keeps_its_place_and_contents(client: httpx.AsyncClient,
                                                                       tokens: TokenMint, via: str) -> None:
    mailbox = await mailbox_via(client, tokens, via)
    folder = await create(mailbox, "Old name", "inbox")
    await create(mailbox, "Inner", folder["id"])
    await fill(mailbox, folder["id"], 2, 2)
    response = await mailbox.patch(f"mailFolders/{folder['id']}", json={"displayName": "New name"})
    assert response.status_code == 200, response.text
    renamed = response.json()
    assert renamed["@odata.context"].endswith("/mailFolders/$entity")
    assert renamed["id"] == folder["id"]
    assert_folder(renamed, "New name", folder["parentFolderId"], (1, 2, 2))
    assert entity(await mailbox.folder(folder["id"])) == entity(renamed)
    assert [child["displayName"] for child in await children(mailbox, "inbox")] == ["New name"]


async def test_patch_through_child_folders_renames_too(alice: Mailbox) -> None:
    folder = await create(alice, "Before", "inbox")
    response = await alice.patch(f"mailFolders/inbox/childFolders/{folder['id']}", json={"displayName": "After"})
    assert response.status_code == 200, response.text
    assert response.json()["@odata.context"].endswith("/mailFolders('inbox')/childFolders/$entity")
    assert_folder(await alice.folder(folder["id"]), "After", folder["parentFolderId"])


async def test_renaming_to_a_siblings_name_is_error_folder_exists(alice: Mailbox) -> None:
    first = await create(alice, "First", "inbox")
    second = await create(alice, "Second", "inbox")
    assert_graph_error(await alice.patch(f"mailFolders/{second['id']}", json={"displayName": "FIRST"}), 409,
                       "ErrorFolderExists")
    assert_folder(await alice.folder(second["id"]), "Second", first["parentFolderId"])
    assert [child["displayName"] for child in await children(alice, "inbox")] == ["First", "Second"]
    # Only in its case, or not at all: the folder is no sibling of itself.
    recased = await alice.patch(f"mailFolders/{first['id']}", json={"displayName": "FIRST"})
    assert recased.status_code == 200 and recased.json()["displayName"] == "FIRST"
    same = await alice.patch(f"mailFolders/{second['id']}", json={"displayName": "Second"})
    assert same.status_code == 200 and same.json()["displayName"] == "Second"


@pytest.mark.parametrize("name", ["inbox", "SentItems", "deleteditems", "msgfolderroot", "by id"])
async def test_a_well_known_folder_cannot_be_renamed(alice: Mailbox, name: str) -> None:
    ref = (await alice.folder("drafts"))["id"] if name == "by id" else name
    before = await alice.folder(ref)
    assert_graph_error(await alice.patch(f"mailFolders/{ref}", json={"displayName": "Renamed"}), 403,
                       "ErrorAccessDenied")
    assert entity(await alice.folder(ref)) == entity(before)
    unchanged = await alice.patch(f"mailFolders/{ref}", json={"displayName": before["displayName"]})
    assert unchanged.status_code == 200 and entity(unchanged.json()) == entity(before)


async def test_patch_refuses_an_empty_name_and_answers_for_missing_folders(alice: Mailbox) -> None:
    folder = await create(alice, "Keep")
    for body in ({"displayName": ""}, {"displayName": None}):
        assert_graph_error(await alice.patch(f"mailFolders/{folder['id']}", json=body), 400, "ErrorInvalidParameter")
    assert_graph_error(await alice.patch(f"mailFolders/{folder['id']}", json={"displayName": 1}), 400,
                       "RequestBodyRead")
    assert_graph_error(await alice.patch(f"mailFolders/{unknown_folder_id()}", json={"displayName": "x"}), 404,
                       "ErrorItemNotFound")
    assert_graph_error(await alice.patch("mailFolders/short", json={"displayName": "x"}), 400,
                       "ErrorInvalidIdMalformed")
    assert entity(await alice.folder(folder["id"])) == entity(folder)
    # isHidden is fixed at creation, and the rest is computed: a PATCH without displayName changes nothing.
    untouched = await alice.patch(f"mailFolders/{folder['id']}", json={"isHidden": True})
    assert untouched.status_code == 200 and entity(untouched.json()) == entity(folder)


# --- delete ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("via", MAILBOX_PATHS)
async def test_delete_moves_a_folder_with_its_messages_and_subfolders_into_deleted_items(
        client: httpx.AsyncClient, tokens: TokenMint, via: str) -> None:
    mailbox = await mailbox_via(client, tokens, via)
    inbox, deleted_items = await mailbox.folder("inbox"), await mailbox.folder("deleteditems")
    folder = await create(mailbox, "Old project", "inbox")
    inner = await create(mailbox, "Inner", folder["id"])
    outer_messages = await fill(mailbox, folder["id"], 3, 2)
    inner_messages = await fill(mailbox, inner["id"], 1, 1)
    response = await mailbox.delete(f"mailFolders/{folder['id']}")
    assert response.status_code == 204 and response.content == b""
    assert_folder(await mailbox.folder(folder["id"]), "Old project", deleted_items["id"], (1, 3, 2))
    assert_folder(await mailbox.folder(inner["id"]), "Inner", folder["id"], (0, 1, 1))
    assert_folder(await mailbox.folder("inbox"), "Inbox", inbox["parentFolderId"], (0, 0, 0))
    # Deleted Items holds the folder; the messages stay in it, so Deleted Items' own counts do not move.
    assert_folder(await mailbox.folder("deleteditems"), "Deleted Items", deleted_items["parentFolderId"], (1, 0, 0))
    assert sorted(m["id"] for m in await mailbox.messages_in(folder["id"])) == sorted(outer_messages)
    assert [m["id"] for m in await mailbox.messages_in(inner["id"])] == inner_messages
    assert [child["id"] for child in await children(mailbox, "deleteditems")] == [folder["id"]]


async def test_delete_through_child_folders_moves_into_deleted_items_too(alice: Mailbox) -> None:
    folder = await create(alice, "Child", "drafts")
    assert (await alice.delete(f"mailFolders/drafts/childFolders/{folder['id']}")).status_code == 204
    assert_folder(await alice.folder(folder["id"]), "Child", (await alice.folder("deleteditems"))["id"])
    assert await child_count(alice, "drafts") == 0


async def test_a_deleted_folder_whose_name_deleted_items_has_is_numbered(alice: Mailbox) -> None:
    deleted_items = (await alice.folder("deleteditems"))["id"]
    before = await child_count(alice, "msgfolderroot")
    ids = []
    for _ in range(3):
        folder = await create(alice, "Temp")
        assert (await alice.delete(f"mailFolders/{folder['id']}")).status_code == 204
        ids.append(folder["id"])
    names = [(await alice.folder(folder_id))["displayName"] for folder_id in ids]
    assert names == ["Temp", "Temp (2)", "Temp (3)"]
    assert [child["displayName"] for child in await children(alice, "deleteditems")] == names
    assert [(await alice.folder(folder_id))["parentFolderId"] for folder_id in ids] == [deleted_items] * 3
    assert await child_count(alice, "msgfolderroot") == before


@pytest.mark.parametrize("depth", [1, 2])
async def test_deleting_a_folder_in_deleted_items_removes_it_for_good(alice: Mailbox, depth: int) -> None:
    """Its messages go where a deleted message goes (Recoverable Items), under new ids."""
    doomed = await create(alice, "Doomed")
    inner = await create(alice, "Inner", doomed["id"])
    doomed_messages = await fill(alice, doomed["id"], 2, 1)
    inner_messages = await fill(alice, inner["id"], 1, 0)
    keep = await fill(alice, (await alice.folder("inbox"))["id"], 1, 1)
    assert (await alice.delete(f"mailFolders/{doomed['id']}")).status_code == 204
    target = doomed if depth == 1 else inner
    recoverable = await alice.folder("recoverableitemsdeletions")
    assert (await alice.delete(f"mailFolders/{target['id']}")).status_code == 204
    gone = [target["id"]] + ([inner["id"]] if depth == 1 else [])
    for folder_id in gone:
        assert_graph_error(await alice.get(f"mailFolders/{folder_id}"), 404, "ErrorItemNotFound")
        assert_graph_error(await alice.get(f"mailFolders/{folder_id}/messages"), 404, "ErrorItemNotFound")
    purged = (doomed_messages if depth == 1 else []) + inner_messages
    for message_id in purged:
        assert_graph_error(await alice.get(f"messages/{message_id}"), 404, "ErrorItemNotFound")
    after = await alice.folder("recoverableitemsdeletions")
    assert (after["totalItemCount"], after["unreadItemCount"]) == (
        recoverable["totalItemCount"] + len(purged), recoverable["unreadItemCount"] + (1 if depth == 1 else 0))
    listed = {message["id"] for message in (await alice.get("messages", params={"$top": "100"})).json()["value"]}
    assert listed == set(keep + ([] if depth == 1 else doomed_messages))
    deleted_items = await alice.folder("deleteditems")
    if depth == 1:
        assert deleted_items["childFolderCount"] == 0 and await children(alice, "deleteditems") == []
    else:
        assert deleted_items["childFolderCount"] == 1
        assert_folder(await alice.folder(doomed["id"]), "Doomed", deleted_items["id"], (0, 2, 1))
    assert await alice.counts("inbox") == (1, 1)


@pytest.mark.parametrize("name", ["inbox", "Drafts", "sentitems", "deleteditems", "junkemail", "archive",
                                  "msgfolderroot", "recoverableitemsdeletions", "by id"])
async def test_a_well_known_folder_cannot_be_deleted(alice: Mailbox, name: str) -> None:
    ref = (await alice.folder("outbox"))["id"] if name == "by id" else name
    before = await alice.folder(ref)
    assert_graph_error(await alice.delete(f"mailFolders/{ref}"), 400, "ErrorDeleteDistinguishedFolder")
    assert entity(await alice.folder(ref)) == entity(before)
    assert await child_count(alice, "deleteditems") == 0


async def test_deleting_what_is_not_there_or_not_ours(client: httpx.AsyncClient, tokens: TokenMint,
                                                      alice: Mailbox) -> None:
    bob = await delegated(client, tokens, BOB)
    bobs = await create(bob, "Bob's")
    assert_graph_error(await alice.delete(f"mailFolders/{bobs['id']}"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.delete(f"mailFolders/{unknown_folder_id()}"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.delete("mailFolders/not*an*id"), 400, "ErrorInvalidIdMalformed")
    assert entity(await bob.folder(bobs["id"])) == entity(bobs)
    folder = await create(alice, "Twice")
    assert (await alice.delete(f"mailFolders/{folder['id']}")).status_code == 204
    assert (await alice.delete(f"mailFolders/{folder['id']}")).status_code == 204  # now for good
    assert_graph_error(await alice.delete(f"mailFolders/{folder['id']}"), 404, "ErrorItemNotFound")


# --- move -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("parameter", ["destinationId", "DestinationId"])
async def test_move_puts_a_folder_with_its_contents_under_another(alice: Mailbox, parameter: str) -> None:
    inbox = await alice.folder("inbox")
    archive = await alice.folder("archive")
    folder = await create(alice, "2023", "inbox")
    inner = await create(alice, "Q1", folder["id"])
    made = await fill(alice, folder["id"], 2, 1)
    response = await alice.post(f"mailFolders/{folder['id']}/move", json={parameter: archive["id"]})
    assert response.status_code == 201, response.text
    moved = response.json()
    assert moved["@odata.context"].endswith("/mailFolders/$entity")
    assert moved["id"] == folder["id"]
    assert_folder(moved, "2023", archive["id"], (1, 2, 1))
    assert entity(await alice.folder(folder["id"])) == entity(moved)
    assert_folder(await alice.folder(inner["id"]), "Q1", folder["id"])
    assert_folder(await alice.folder("inbox"), "Inbox", inbox["parentFolderId"])
    assert_folder(await alice.folder("archive"), "Archive", archive["parentFolderId"], (1, 0, 0))
    assert sorted(message["id"] for message in await alice.messages_in(folder["id"])) == sorted(made)


@pytest.mark.parametrize("destination", ["msgfolderroot", "DeletedItems"])
async def test_move_takes_a_well_known_name_as_destination(alice: Mailbox, destination: str) -> None:
    folder = await create(alice, "Wanderer", "inbox")
    response = await alice.post(f"mailFolders/{folder['id']}/move", json={"destinationId": destination})
    assert response.status_code == 201, response.text
    target = await alice.folder(destination)
    assert_folder(response.json(), "Wanderer", target["id"])
    assert await child_count(alice, "inbox") == 0
    assert folder["id"] in {child["id"] for child in await children(alice, destination)}


async def test_a_folder_cannot_move_into_itself_or_below_itself(alice: Mailbox) -> None:
    top = await create(alice, "Top")
    middle = await create(alice, "Middle", top["id"])
    bottom = await create(alice, "Bottom", middle["id"])
    for destination in (top["id"], middle["id"], bottom["id"]):
        assert_graph_error(await alice.post(f"mailFolders/{top['id']}/move", json={"destinationId": destination}),
                           400, "ErrorMoveCopyFailed")
    assert_folder(await alice.folder(top["id"]), "Top", top["parentFolderId"], (1, 0, 0))
    assert_folder(await alice.folder(middle["id"]), "Middle", top["id"], (1, 0, 0))
    assert_folder(await alice.folder(bottom["id"]), "Bottom", middle["id"])


@pytest.mark.parametrize("name", ["inbox", "sentitems", "msgfolderroot", "by id"])
async def test_a_well_known_folder_cannot_be_moved(alice: Mailbox, name: str) -> None:
    ref = (await alice.folder("junkemail"))["id"] if name == "by id" else name
    before = await alice.folder(ref)
    assert_graph_error(await alice.post(f"mailFolders/{ref}/move", json={"destinationId": "archive"}), 400,
                       "ErrorMoveDistinguishedFolder")
    assert entity(await alice.folder(ref)) == entity(before)
    assert await child_count(alice, "archive") == 0


async def test_moving_next_to_a_folder_of_the_same_name_is_error_folder_exists(alice: Mailbox) -> None:
    await create(alice, "Reports", "archive")
    folder = await create(alice, "REPORTS", "inbox")
    assert_graph_error(await alice.post(f"mailFolders/{folder['id']}/move", json={"destinationId": "archive"}),
                       409, "ErrorFolderExists")
    assert_folder(await alice.folder(folder["id"]), "REPORTS", (await alice.folder("inbox"))["id"])
    assert await child_count(alice, "archive") == 1
    # To where it already is: nothing to do, nothing refused.
    again = await alice.post(f"mailFolders/{folder['id']}/move", json={"destinationId": "inbox"})
    assert again.status_code == 201 and entity(again.json()) == entity(await alice.folder(folder["id"]))


async def test_move_needs_a_destination_that_exists(alice: Mailbox) -> None:
    folder = await create(alice, "Stays", "inbox")
    for body in ({}, {"destinationId": ""}, {"destinationId": None}):
        assert_graph_error(await alice.post(f"mailFolders/{folder['id']}/move", json=body), 400,
                           "ErrorInvalidParameter")
    assert_graph_error(await alice.post(f"mailFolders/{folder['id']}/move",
                                        json={"destinationId": unknown_folder_id()}), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.post(f"mailFolders/{folder['id']}/move", json={"destinationId": "a b"}), 400,
                       "ErrorInvalidIdMalformed")
    assert_graph_error(await alice.post(f"mailFolders/{unknown_folder_id()}/move", json={"destinationId": "inbox"}),
                       404, "ErrorItemNotFound")
    assert_folder(await alice.folder(folder["id"]), "Stays", (await alice.folder("inbox"))["id"])


# --- copy -----------------------------------------------------------------------------------------

async def test_copy_makes_a_new_folder_with_copies_of_its_subfolders_messages_and_attachments(
        alice: Mailbox) -> None:
    source = await create(alice, "Source", "inbox")
    inner = await create(alice, "Inner", source["id"], isHidden=True)
    made = await fill(alice, source["id"], 2, 1)
    await alice.add_attachment(made[0], file_attachment("notes.txt", b"kept content"))
    inner_made = await fill(alice, inner["id"], 1, 1)
    response = await alice.post(f"mailFolders/{source['id']}/copy", json={"DestinationId": "archive"})
    assert response.status_code == 201, response.text
    copied = response.json()
    assert copied["@odata.context"].endswith("/mailFolders/$entity")
    archive = await alice.folder("archive")
    assert copied["id"] not in (source["id"], archive["id"])
    assert_folder(copied, "Source", archive["id"], (1, 2, 1))
    assert entity(await alice.folder(copied["id"])) == entity(copied)
    assert archive["childFolderCount"] == 1
    # The original is untouched.
    assert_folder(await alice.folder(source["id"]), "Source", (await alice.folder("inbox"))["id"], (1, 2, 1))
    assert sorted(m["id"] for m in await alice.messages_in(source["id"])) == sorted(made)
    # The copies are new items with the same content.
    copies = await alice.messages_in(copied["id"])
    assert not {m["id"] for m in copies} & set(made)
    assert sorted(m["subject"] for m in copies) == ["m0", "m1"]
    assert all(m["parentFolderId"] == copied["id"] for m in copies)
    with_file = next(m for m in copies if m["subject"] == "m0")
    assert with_file["hasAttachments"] is True
    [attachment] = await alice.attachments(with_file["id"])
    assert (attachment["name"], content_of(attachment)) == ("notes.txt", b"kept content")
    [inner_copy] = await children(alice, copied["id"], includeHiddenFolders="true")
    assert inner_copy["id"] != inner["id"]
    assert_folder(inner_copy, "Inner", copied["id"], (0, 1, 1), hidden=True)
    assert [m["id"] for m in await alice.messages_in(inner_copy["id"])] != inner_made
    # Changing a copy leaves the original alone.
    assert (await alice.patch(f"messages/{with_file['id']}", json={"subject": "changed"})).status_code == 200
    assert (await alice.message(made[0]))["subject"] == "m0"


async def test_a_copy_of_a_well_known_folder_is_an_ordinary_folder(alice: Mailbox) -> None:
    made = await fill(alice, (await alice.folder("drafts"))["id"], 1, 0)
    response = await alice.post("mailFolders/drafts/copy", json={"destinationId": "archive"})
    assert response.status_code == 201, response.text
    copied = response.json()
    assert_folder(copied, "Drafts", (await alice.folder("archive"))["id"], (0, 1, 0))
    assert await alice.counts("drafts") == (1, 0)
    assert [m["id"] for m in await alice.messages_in("drafts")] == made
    assert (await alice.delete(f"mailFolders/{copied['id']}")).status_code == 204
    assert (await alice.folder(copied["id"]))["parentFolderId"] == (await alice.folder("deleteditems"))["id"]
    empty = await alice.post("mailFolders/outbox/copy", json={"destinationId": "archive"})
    assert empty.status_code == 201, empty.text
    assert_folder(empty.json(), "Outbox", (await alice.folder("archive"))["id"])
    assert await child_count(alice, "archive") == 1


async def test_copy_is_refused_where_a_move_would_be(alice: Mailbox) -> None:
    top = await create(alice, "Top")
    below = await create(alice, "Below", top["id"])
    for destination in (top["id"], below["id"]):
        assert_graph_error(await alice.post(f"mailFolders/{top['id']}/copy", json={"destinationId": destination}),
                           400, "ErrorMoveCopyFailed")
    assert_graph_error(await alice.post(f"mailFolders/{top['id']}/copy", json={"destinationId": "msgfolderroot"}),
                       409, "ErrorFolderExists")  # its own parent already has a "Top"
    assert_graph_error(await alice.post("mailFolders/msgfolderroot/copy", json={"destinationId": "archive"}),
                       400, "ErrorMoveCopyFailed")
    assert_graph_error(await alice.post(f"mailFolders/{top['id']}/copy", json={}), 400, "ErrorInvalidParameter")
    assert_graph_error(await alice.post(f"mailFolders/{top['id']}/copy", json={"destinationId": unknown_folder_id()}),
                       404, "ErrorItemNotFound")
    assert_folder(await alice.folder(top["id"]), "Top", top["parentFolderId"], (1, 0, 0))
    assert_folder(await alice.folder(below["id"]), "Below", top["id"])
    assert await child_count(alice, "archive") == 0


# --- permissions and counts -----------------------------------------------------------------------

@pytest.mark.parametrize("version", ["v1.0", "beta"])
async def test_mail_read_lists_folders_but_cannot_change_them(client: httpx.AsyncClient, tokens: TokenMint,
                                                              alice: Mailbox, version: str) -> None:
    folder = await create(alice, "Read only", "inbox")
    top_count = await child_count(alice, "msgfolderroot")
    reader = await delegated(client, tokens, ALICE, version, scopes=("Mail.Read",))
    assert [child["id"] for child in await children(reader, "inbox")] == [folder["id"]]
    assert (await reader.get(f"mailFolders/inbox/childFolders/{folder['id']}")).status_code == 200
    for response in (await reader.post("mailFolders", json={"displayName": "No"}),
                     await reader.post("mailFolders/inbox/childFolders", json={"displayName": "No"}),
                     await reader.patch(f"mailFolders/{folder['id']}", json={"displayName": "No"}),
                     await reader.patch(f"mailFolders/inbox/childFolders/{folder['id']}", json={"displayName": "No"}),
                     await reader.delete(f"mailFolders/{folder['id']}"),
                     await reader.delete(f"mailFolders/inbox/childFolders/{folder['id']}"),
                     await reader.post(f"mailFolders/{folder['id']}/move", json={"destinationId": "archive"}),
                     await reader.post(f"mailFolders/{folder['id']}/copy", json={"destinationId": "archive"})):
        assert_graph_error(response, 403, "ErrorAccessDenied")
    assert entity(await alice.folder(folder["id"])) == entity(folder)
    assert await child_count(alice, "msgfolderroot") == top_count
    assert await child_count(alice, "inbox") == 1
    assert await child_count(alice, "archive") == 0
    sender = await delegated(client, tokens, ALICE, version, scopes=("Mail.Send",))
    assert_graph_error(await sender.get("mailFolders/inbox/childFolders"), 403, "ErrorAccessDenied")


async def test_counts_follow_messages_arriving_in_and_leaving_a_new_folder(alice: Mailbox, bob: Mailbox) -> None:
    folder = await create(alice, "Counted")
    made = await fill(alice, folder["id"], 3, 2)
    assert_folder(await alice.folder(folder["id"]), "Counted", folder["parentFolderId"], (0, 3, 2))
    assert (await alice.patch(f"messages/{made[0]}", json={"isRead": True})).status_code == 200
    assert (await alice.delete(f"messages/{made[1]}")).status_code == 204
    assert_folder(await alice.folder(folder["id"]), "Counted", folder["parentFolderId"], (0, 2, 0))
    sent = await bob.send_mail({"subject": "to alice", "toRecipients": recipients(ALICE)})
    assert sent.status_code == 202, sent.text
    assert await alice.counts("inbox") == (1, 1)
    assert_folder(await alice.folder(folder["id"]), "Counted", folder["parentFolderId"], (0, 2, 0))
