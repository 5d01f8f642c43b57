"""Delta rounds over a folder's messages and over the folder tree (`…/messages/delta`,
`…/mailFolders/delta`, `…/childFolders/delta`), in-process on both backends: full first rounds in
pages, later rounds with only what changed, the options Graph takes, and its 400s and 410s."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from graphpost.api.delta_tokens import DeltaToken, decode, encode
from graphpost.auth import keys
from graphpost.config import Settings
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import ALICE, Mailbox, as_application, delegated, recipients
from tests.tokens import TokenMint

MESSAGE, FOLDER = "#microsoft.graph.message", "#microsoft.graph.mailFolder"
MAXPAGE_2 = {"Prefer": "odata.maxpagesize=2"}


async def follow(mailbox: Mailbox, first: str, headers: dict[str, str] | None = None,
                 params: dict[str, str] | None = None) -> tuple[list[dict[str, Any]], str, int]:
    """A whole round from `first` (a tail under the mailbox, or a delta link): its items, its
    delta link and how many pages it took."""
    response = await (mailbox.get(first, headers=headers, params=params) if not first.startswith("http")
                      else mailbox.client.get(first, headers={**mailbox.headers, **(headers or {})}))
    items, pages = [], 0
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        items += body["value"]
        if "@odata.deltaLink" in body:
            assert "@odata.nextLink" not in body
            return items, body["@odata.deltaLink"], pages
        response = await mailbox.client.get(body["@odata.nextLink"], headers={**mailbox.headers, **(headers or {})})


async def deliver(sender: Mailbox, subject: str, to: str = ALICE) -> None:
    response = await sender.send_mail({"subject": subject, "body": {"contentType": "text", "content": "Hello"},
                                       "toRecipients": recipients(to)})
    assert response.status_code == 202, response.text


def by_subject(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["subject"]: item for item in items if "subject" in item}


async def test_a_first_round_pages_the_whole_folder_then_ends_with_a_delta_link(alice: Mailbox, bob: Mailbox) -> None:
    for n in range(5):
        await deliver(bob, f"Report {n}")
    response = await alice.get("mailFolders/inbox/messages/delta", headers=MAXPAGE_2)
    assert response.status_code == 200, response.text
    assert response.headers["Preference-Applied"] == "odata.maxpagesize=2"
    body = response.json()
    assert body["@odata.context"] == "http://graph.test/v1.0/$metadata#Collection(message)"
    assert len(body["value"]) == 2 and "$skiptoken=" in body["@odata.nextLink"]
    assert body["@odata.nextLink"].startswith("http://graph.test/v1.0/me/mailFolders/inbox/messages/delta?")
    items, link, pages = await follow(alice, "mailFolders/inbox/messages/delta", MAXPAGE_2)
    assert pages == 3 and "$deltatoken=" in link
    # Newest first, each once, as a message of the list is, with its type.
    assert [item["subject"] for item in items] == [f"Report {n}" for n in reversed(range(5))]
    listed = {message["id"]: message for message in await alice.messages_in("inbox")}
    for item in items:
        assert item["@odata.type"] == MESSAGE
        assert {key: value for key, value in item.items() if key != "@odata.type"} == \
            {key: value for key, value in listed[item["id"]].items() if key != "@odata.context"}


async def test_the_next_round_returns_only_what_changed_each_item_once(alice: Mailbox, bob: Mailbox) -> None:
    for subject in ("Kept", "Read", "Moved", "Deleted", "Busy"):
        await deliver(bob, subject)
    first, link, _ = await follow(alice, "mailFolders/inbox/messages/delta")
    ids = {item["subject"]: item["id"] for item in first}
    await deliver(bob, "New")
    assert (await alice.patch(f"messages/{ids['Read']}", json={"isRead": True})).status_code == 200
    for n in range(5):
        assert (await alice.patch(f"messages/{ids['Busy']}", json={"categories": [f"C{n}"]})).status_code == 200
    assert (await alice.post(f"messages/{ids['Moved']}/move", json={"destinationId": "archive"})).status_code == 201
    assert (await alice.delete(f"messages/{ids['Deleted']}")).status_code == 204
    draft = await alice.create_draft(subject="Filed in")
    filed = (await alice.post(f"messages/{draft['id']}/move", json={"destinationId": "inbox"})).json()
    changed, link2, _ = await follow(alice, link)
    current = by_subject(changed)
    assert set(current) == {"New", "Read", "Busy", "Filed in"}
    assert current["Read"]["isRead"] is True and current["Busy"]["categories"] == ["C4"]
    assert current["Filed in"]["id"] == filed["id"]
    removed = [item for item in changed if "@removed" in item]
    assert sorted(item["id"] for item in removed) == sorted([ids["Moved"], ids["Deleted"]])
    for item in removed:
        assert item == {"@odata.type": MESSAGE, "id": item["id"], "@removed": {"reason": "deleted"}}
    assert len(changed) == 6
    # Nothing changed since: an empty round, and a new delta link.
    quiet, link3, _ = await follow(alice, link2)
    assert quiet == [] and "$deltatoken=" in link3


async def test_change_rounds_page_with_the_first_requests_page_size(alice: Mailbox, bob: Mailbox) -> None:
    _, link, _ = await follow(alice, "mailFolders/inbox/messages/delta")
    for n in range(5):
        await deliver(bob, f"Later {n}")
    items, _, pages = await follow(alice, link, MAXPAGE_2)
    assert pages == 3
    assert sorted(item["subject"] for item in items) == [f"Later {n}" for n in range(5)]


async def test_select_and_change_type_are_carried_by_the_tokens(alice: Mailbox, bob: Mailbox) -> None:
    await deliver(bob, "Old")
    first, link, _ = await follow(alice, "mailFolders/inbox/messages/delta",
                                  params={"$select": "subject,isRead", "changeType": "created"})
    [old] = first
    # The first round is the whole folder, whatever changeType says.
    assert set(old) == {"@odata.type", "@odata.etag", "id", "subject", "isRead"}
    await deliver(bob, "New")
    assert (await alice.patch(f"messages/{old['id']}", json={"isRead": True})).status_code == 200
    changed, _, _ = await follow(alice, link)
    assert [item["subject"] for item in changed] == ["New"]
    assert set(changed[0]) == {"@odata.type", "@odata.etag", "id", "subject", "isRead"}


@pytest.mark.parametrize("change_type,expected", [("updated", ["Read"]), ("deleted", ["@removed"])])
async def test_change_type_keeps_one_kind_of_change(alice: Mailbox, bob: Mailbox, change_type: str,
                                                    expected: list[str]) -> None:
    await deliver(bob, "Read")
    await deliver(bob, "Gone")
    first, link, _ = await follow(alice, "mailFolders/inbox/messages/delta", params={"changeType": change_type})
    ids = {item["subject"]: item["id"] for item in first}
    await deliver(bob, "New")
    assert (await alice.patch(f"messages/{ids['Read']}", json={"isRead": True})).status_code == 200
    assert (await alice.delete(f"messages/{ids['Gone']}")).status_code == 204
    changed, _, _ = await follow(alice, link)
    assert [item.get("subject", "@removed") for item in changed] == expected


async def test_filter_on_received_time_with_newest_first(alice: Mailbox, bob: Mailbox) -> None:
    await deliver(bob, "Before")
    [before] = await alice.messages_in("inbox")
    await deliver(bob, "After")
    params = {"$filter": f"receivedDateTime gt {before['receivedDateTime']}", "$orderby": "receivedDateTime desc"}
    items, _, _ = await follow(alice, "mailFolders/inbox/messages/delta", params=params)
    # Graph's receivedDateTime has whole seconds: both may share one.
    assert "After" in [item["subject"] for item in items]
    params = {"$filter": f"receivedDateTime ge {before['receivedDateTime']}"}
    items, _, _ = await follow(alice, "mailFolders/inbox/messages/delta", params=params)
    assert sorted(item["subject"] for item in items) == ["After", "Before"]


@pytest.mark.parametrize("params,code", [
    ({"$search": '"hello"'}, "ErrorInvalidUrlQuery"),
    ({"$skip": "2"}, "ErrorInvalidUrlQuery"),
    ({"$count": "true"}, "ErrorInvalidUrlQuery"),
    ({"$filter": "isRead eq false"}, "ErrorInvalidUrlQueryFilter"),
    ({"$filter": "receivedDateTime lt 2026-01-01T00:00:00Z"}, "ErrorInvalidUrlQueryFilter"),
    ({"$orderby": "subject"}, "ErrorInvalidUrlQuery"),
    ({"$orderby": "receivedDateTime asc"}, "ErrorInvalidUrlQuery"),
    ({"changeType": "moved"}, "ErrorInvalidUrlQuery"),
    ({"$select": "nonsense"}, "RequestBroker--ParseUri"),
])
async def test_options_delta_does_not_take_are_refused(alice: Mailbox, params: dict[str, str], code: str) -> None:
    response = await alice.get("mailFolders/inbox/messages/delta", params=params)
    assert_graph_error(response, 400, code)


async def test_folder_delta_takes_only_select(alice: Mailbox) -> None:
    for params in ({"$filter": "displayName eq 'Inbox'"}, {"changeType": "created"}, {"$top": "2"}):
        assert_graph_error(await alice.get("mailFolders/delta", params=params), 400, "ErrorInvalidUrlQuery")


async def test_a_damaged_unknown_or_foreign_token_is_a_lost_sync_state(alice: Mailbox, bob: Mailbox,
                                                                       settings: Settings) -> None:
    _, link, _ = await follow(alice, "mailFolders/inbox/messages/delta")
    token = link.split("$deltatoken=", 1)[1]
    payload, tag = token.split(".")
    tampered = f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{tag}"
    for bad in (tampered, "nonsense", f"{payload}.{'A' * len(tag)}"):
        response = await alice.get("mailFolders/inbox/messages/delta", params={"$deltatoken": bad})
        assert_graph_error(response, 410, "SyncStateNotFound")
    # A good token, but of another folder or another mailbox.
    assert_graph_error(await alice.get("mailFolders/archive/messages/delta", params={"$deltatoken": token}),
                       410, "SyncStateNotFound")
    assert_graph_error(await bob.get("mailFolders/inbox/messages/delta", params={"$deltatoken": token}),
                       410, "SyncStateNotFound")
    # A token of the Inbox's messages is none of its child folders'.
    assert_graph_error(await alice.get("mailFolders/inbox/childFolders/delta", params={"$deltatoken": token}),
                       410, "SyncStateNotFound")
    # Older than the change log keeps.
    key = keys.load_or_create(settings.data_dir)
    decoded = decode(token, key)
    old = DeltaToken(type(decoded.state)(**{**decoded.state.__dict__,
                                            "started": time.time() - settings.change_retention.total_seconds() - 60}),
                     decoded.options)
    response = await alice.get("mailFolders/inbox/messages/delta", params={"$deltatoken": encode(old, key)})
    assert_graph_error(response, 410, "SyncStateNotFound")


@pytest.mark.parametrize("spelling", ["delta", "delta()", "microsoft.graph.delta()"])
@pytest.mark.parametrize("version", ["v1.0", "beta"])
async def test_every_spelling_and_mailbox_path_reaches_delta(client: httpx.AsyncClient, tokens: TokenMint,
                                                             bob: Mailbox, spelling: str, version: str) -> None:
    await deliver(bob, "Hi")
    for mailbox in (await delegated(client, tokens, ALICE, version),
                    await as_application(client, tokens, ALICE, version, permissions=("Mail.Read",))):
        items, link, _ = await follow(mailbox, f"mailFolders/inbox/messages/{spelling}")
        assert [item["subject"] for item in items] == ["Hi"]
        assert f"/{version}/" in link and f"/messages/{spelling}?$deltatoken=" in link
        folders, _, _ = await follow(mailbox, f"mailFolders/{spelling}")
        assert "Inbox" in [folder["displayName"] for folder in folders]


async def test_mail_read_basic_reads_delta_without_bodies(client: httpx.AsyncClient, tokens: TokenMint,
                                                          bob: Mailbox) -> None:
    await deliver(bob, "Hi")
    basic = await delegated(client, tokens, ALICE, scopes=("Mail.ReadBasic",))
    items, _, _ = await follow(basic, "mailFolders/inbox/messages/delta")
    assert items[0]["subject"] == "Hi" and not {"body", "bodyPreview"} & set(items[0])
    app = await as_application(client, tokens, ALICE, permissions=("Mail.ReadBasic.All",))
    items, _, _ = await follow(app, "mailFolders/inbox/messages/delta")
    assert items[0]["subject"] == "Hi" and "body" not in items[0]
    none = await delegated(client, tokens, ALICE, scopes=("Mail.Send",))
    assert_graph_error(await none.get("mailFolders/inbox/messages/delta"), 403, "ErrorAccessDenied")


async def test_folder_delta_tracks_the_whole_tree_and_child_folders_one_level(alice: Mailbox) -> None:
    top = (await alice.post("mailFolders", json={"displayName": "Projects"})).json()
    nested = (await alice.post(f"mailFolders/{top['id']}/childFolders", json={"displayName": "Alpha"})).json()
    tree, tree_link, _ = await follow(alice, "mailFolders/delta", MAXPAGE_2)
    names = [folder["displayName"] for folder in tree]
    assert {"Inbox", "Projects", "Alpha"} <= set(names) and len(names) == len(set(names))
    assert all(folder["@odata.type"] == FOLDER for folder in tree)
    children, child_link, _ = await follow(alice, f"mailFolders/{top['id']}/childFolders/delta")
    assert [folder["id"] for folder in children] == [nested["id"]]
    assert (await alice.patch(f"mailFolders/{nested['id']}", json={"displayName": "Beta"})).status_code == 200
    created = (await alice.post(f"mailFolders/{top['id']}/childFolders", json={"displayName": "Gamma"})).json()
    assert (await alice.post(f"mailFolders/{nested['id']}/move", json={"destinationId": "inbox"})).status_code == 201
    changed, _, _ = await follow(alice, child_link)
    assert sorted((item["id"], item.get("displayName"), "@removed" in item) for item in changed) == sorted(
        [(nested["id"], None, True), (created["id"], "Gamma", False)])
    changed, _, _ = await follow(alice, tree_link)
    assert {item["id"]: item["displayName"] for item in changed} == {nested["id"]: "Beta", created["id"]: "Gamma"}


async def test_immutable_ids_follow_messages_across_moves(alice: Mailbox, bob: Mailbox) -> None:
    immutable = {"Prefer": 'IdType="ImmutableId"'}
    await deliver(bob, "Filed")
    await deliver(bob, "Round trip")
    first, link, _ = await follow(alice, "mailFolders/inbox/messages/delta", immutable)
    ids = {item["subject"]: item["id"] for item in first}
    for subject in ("Filed", "Round trip"):
        moved = await alice.post(f"messages/{ids[subject]}/move", json={"destinationId": "archive"}, headers=immutable)
        assert moved.status_code == 201 and moved.json()["id"] == ids[subject], moved.text
    back = await alice.post(f"messages/{ids['Round trip']}/move", json={"destinationId": "inbox"}, headers=immutable)
    assert back.status_code == 201, back.text
    changed, _, _ = await follow(alice, link, immutable)
    # Out and back in is one message, as the client knows it; the one filed away is removed.
    assert sorted((item["id"], "@removed" in item) for item in changed) == sorted(
        [(ids["Filed"], True), (ids["Round trip"], False)])
