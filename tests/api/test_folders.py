"""Mail folders: /mailFolders, /mailFolders/{id | well-known name}, paging, hidden folders."""

import base64
import secrets

import httpx
import pytest

from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import ALICE, BOB, Mailbox, as_application, delegated, entity
from tests.tokens import TokenMint

FOLDER_KEYS = {"id", "displayName", "parentFolderId", "childFolderCount", "unreadItemCount", "totalItemCount",
               "isHidden"}
VISIBLE = ["Archive", "Conversation History", "Deleted Items", "Drafts", "Inbox", "Junk Email", "Outbox",
           "Sent Items"]


def unknown_folder_id() -> str:
    # Shaped like a real folder id (URL-safe base64 of an Exchange entry id), naming nothing.
    return base64.urlsafe_b64encode(b"\x01\x03\x24\x00" + secrets.token_bytes(41)).decode()


async def list_all(mailbox: Mailbox, **params: str) -> dict:
    response = await mailbox.get("mailFolders", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("version", ["v1.0", "beta"])
async def test_mail_folders_lists_the_visible_well_known_folders_under_the_root(
        client: httpx.AsyncClient, tokens: TokenMint, version: str) -> None:
    alice = await delegated(client, tokens, version=version)
    body = await list_all(alice)
    assert set(body) == {"@odata.context", "value"}
    assert body["@odata.context"].startswith(f"http://graph.test/{version}/$metadata#")
    assert body["@odata.context"].endswith("/mailFolders")
    folders = body["value"]
    assert sorted(folder["displayName"] for folder in folders) == VISIBLE
    root = await alice.folder("msgfolderroot")
    for folder in folders:
        if version == "v1.0":
            assert set(folder) == FOLDER_KEYS
        else:  # beta may carry more properties, never fewer
            assert FOLDER_KEYS <= set(folder)
        assert folder["parentFolderId"] == root["id"]
        assert (folder["childFolderCount"], folder["totalItemCount"], folder["unreadItemCount"]) == (0, 0, 0)
        assert folder["isHidden"] is False
    assert len({folder["id"] for folder in folders}) == len(VISIBLE)


@pytest.mark.parametrize("name, display_name", [("Inbox", "Inbox"), ("inbox", "Inbox"), ("SENTITEMS", "Sent Items"),
                                                ("SentItems", "Sent Items"), ("drafts", "Drafts"),
                                                ("DeletedItems", "Deleted Items")])
async def test_well_known_names_answer_in_any_case(client: httpx.AsyncClient, tokens: TokenMint, name: str,
                                                   display_name: str) -> None:
    alice = await delegated(client, tokens)
    folder = await alice.folder(name)
    assert set(folder) == FOLDER_KEYS | {"@odata.context"}
    assert folder["@odata.context"].startswith("http://graph.test/v1.0/$metadata#")
    assert folder["@odata.context"].endswith("/mailFolders/$entity")
    assert folder["displayName"] == display_name
    listed = {f["displayName"]: f for f in (await list_all(alice))["value"]}
    assert folder["id"] == listed[display_name]["id"]


@pytest.mark.parametrize("version", ["v1.0", "beta"])
async def test_a_folder_answers_by_its_id(client: httpx.AsyncClient, tokens: TokenMint, version: str) -> None:
    alice = await delegated(client, tokens, version=version)
    inbox = await alice.folder("inbox")
    by_id = await alice.folder(inbox["id"])
    assert by_id == inbox


async def test_an_unknown_folder_id_is_not_found(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    alice = await delegated(client, tokens)
    assert_graph_error(await alice.get(f"mailFolders/{unknown_folder_id()}"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.get(f"mailFolders/{unknown_folder_id()}/messages"), 404, "ErrorItemNotFound")


async def test_another_users_folder_id_is_not_found(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    alice = await delegated(client, tokens)
    bobs_inbox = (await (await delegated(client, tokens, BOB)).folder("inbox"))["id"]
    assert_graph_error(await alice.get(f"mailFolders/{bobs_inbox}"), 404, "ErrorItemNotFound")
    assert_graph_error(await alice.get(f"mailFolders/{bobs_inbox}/messages"), 404, "ErrorItemNotFound")


@pytest.mark.parametrize("ref", ["not*an*id", "a b", "short"])
async def test_a_malformed_folder_id_is_a_bad_request(client: httpx.AsyncClient, tokens: TokenMint,
                                                      ref: str) -> None:
    alice = await delegated(client, tokens)
    assert_graph_error(await alice.get(f"mailFolders/{ref}"), 400, "ErrorInvalidIdMalformed")


@pytest.mark.parametrize("version", ["v1.0", "beta"])
async def test_top_pages_the_folders_and_the_next_link_returns_the_rest(client: httpx.AsyncClient,
                                                                         tokens: TokenMint, version: str) -> None:
    alice = await delegated(client, tokens, version=version)
    page = await list_all(alice, **{"$top": "3"})
    seen = []
    pages = 0
    while True:
        pages += 1
        assert len(page["value"]) <= 3
        seen += [folder["displayName"] for folder in page["value"]]
        link = page.get("@odata.nextLink")
        if link is None:
            break
        assert link.startswith(f"http://graph.test/{version}/me/mailFolders?")
        response = await client.get(link, headers=alice.headers)
        assert response.status_code == 200, response.text
        page = response.json()
    assert pages == 3
    assert sorted(seen) == VISIBLE  # every folder once: none lost, none repeated


async def test_include_hidden_folders_shows_the_hidden_ones(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    alice = await delegated(client, tokens)
    shown = (await list_all(alice, includeHiddenFolders="true", **{"$top": "100"}))["value"]
    names = {folder["displayName"] for folder in shown}
    assert set(VISIBLE) <= names
    hidden = [folder for folder in shown if folder["isHidden"]]
    assert hidden and len(shown) == len(VISIBLE) + len(hidden)
    root = await alice.folder("msgfolderroot")
    assert all(folder["parentFolderId"] == root["id"] for folder in shown)
    plain = (await list_all(alice, **{"$top": "100"}))["value"]
    assert not any(folder["isHidden"] for folder in plain)


@pytest.mark.parametrize("version", ["v1.0", "beta"])
async def test_users_mail_folders_with_an_application_token(client: httpx.AsyncClient, tokens: TokenMint,
                                                            version: str) -> None:
    bob = await as_application(client, tokens, BOB, version, permissions=("Mail.Read",))
    body = await list_all(bob)
    assert sorted(folder["displayName"] for folder in body["value"]) == VISIBLE
    by_app = await bob.folder("Inbox")
    by_bob = await (await delegated(client, tokens, BOB, version)).folder("inbox")
    assert entity(by_app) == entity(by_bob)
    alices = await (await delegated(client, tokens, ALICE)).folder("inbox")
    assert by_app["id"] != alices["id"]
