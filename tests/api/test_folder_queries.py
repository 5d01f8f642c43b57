"""OData query options on folder collections (…/mailFolders, …/mailFolders/{id}/childFolders) and
$select on one folder, on SQLite and PostgreSQL: $select, $filter (names, item counts, isHidden),
$orderby, $top, $skip with the nextLink, $count, includeHiddenFolders beside them, and Graph's 400s
for what it refuses."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import MAILBOX_PATHS, Mailbox, delegated, entity, mailbox_via
from tests.api.test_folder_changes import create, fill
from tests.api.test_folders import FOLDER_KEYS, VISIBLE
from tests.tokens import TokenMint

PARSE_URI = "RequestBroker--ParseUri"
INVALID_NODES = "ErrorInvalidUrlQueryFilter"
CHILDREN = "mailFolders/inbox/childFolders"

# The Inbox's visible children by name without regard to case, as Graph lists them (byte order would
# put "beta" last); "Zeta" is hidden.
NAMES = ["50% off_sale", "Alpha", "beta", "Gamma", "Receipts 2024"]


@pytest.fixture
async def tree(alice: Mailbox) -> dict[str, dict[str, Any]]:
    """Folders under Alice's Inbox, by name, with (childFolderCount, totalItemCount, unreadItemCount):
    Alpha (0, 2, 1), beta (0, 0, 0), Gamma (1, 0, 0) holding Inner, Receipts 2024 (0, 3, 3),
    50% off_sale (0, 0, 0), and Zeta, hidden (0, 1, 0)."""
    made = {name: await create(alice, name, "inbox") for name in ("Gamma", "beta", "Receipts 2024", "Alpha",
                                                                  "50% off_sale")}
    made["Zeta"] = await create(alice, "Zeta", "inbox", isHidden=True)
    made["Inner"] = await create(alice, "Inner", made["Gamma"]["id"])
    await fill(alice, made["Alpha"]["id"], 2, 1)
    await fill(alice, made["Receipts 2024"]["id"], 3, 3)
    await fill(alice, made["Zeta"]["id"], 1, 0)
    return made


async def listed(mailbox: Mailbox, tail: str = CHILDREN, **params: str) -> dict[str, Any]:
    response = await mailbox.get(tail, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def names(mailbox: Mailbox, tail: str = CHILDREN, **params: str) -> list[str]:
    body = await listed(mailbox, tail, **params)
    assert "@odata.nextLink" not in body
    return [folder["displayName"] for folder in body["value"]]


async def follow(mailbox: Mailbox, body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page from `body` on, by its nextLinks."""
    pages = [body]
    while "@odata.nextLink" in pages[-1]:
        response = await mailbox.client.get(pages[-1]["@odata.nextLink"], headers=mailbox.headers)
        assert response.status_code == 200, response.text
        pages.append(response.json())
    return pages


# -- $filter ----------------------------------------------------------------------------------

FILTERS = [
    ("displayName eq 'alpha'", ["Alpha"]),
    ("DISPLAYNAME eq 'BETA'", ["beta"]),
    ("displayName ne 'Alpha'", ["50% off_sale", "beta", "Gamma", "Receipts 2024"]),
    ("'Gamma' eq displayName", ["Gamma"]),
    ("displayName eq 'Alpha' or displayName eq 'gamma'", ["Alpha", "Gamma"]),
    ("displayName gt 'b'", ["beta", "Gamma", "Receipts 2024"]),
    ("startswith(displayName,'re')", ["Receipts 2024"]),
    ("startswith(displayName,'A') or startswith(displayName,'B')", ["Alpha", "beta"]),
    ("contains(displayName,'A')", ["50% off_sale", "Alpha", "beta", "Gamma"]),
    ("contains(displayName,'2024')", ["Receipts 2024"]),
    # LIKE's wildcards are plain characters in a filter.
    ("contains(displayName,'% o') and contains(displayName,'f_s')", ["50% off_sale"]),
    ("startswith(displayName,'%') or contains(displayName,'_a')", []),
    ("not startswith(displayName,'a') and totalItemCount eq 0", ["50% off_sale", "beta", "Gamma"]),
    ("not (displayName eq 'Alpha' or displayName eq 'beta')", ["50% off_sale", "Gamma", "Receipts 2024"]),
    ("totalItemCount gt 0", ["Alpha", "Receipts 2024"]),
    ("3 eq totalItemCount", ["Receipts 2024"]),
    ("unreadItemCount ge 2", ["Receipts 2024"]),
    ("unreadItemCount eq 1 and totalItemCount eq 2", ["Alpha"]),
    ("totalItemCount lt 3 and unreadItemCount le 1", ["50% off_sale", "Alpha", "beta", "Gamma"]),
    ("totalItemCount ne 0", ["Alpha", "Receipts 2024"]),
    ("childFolderCount gt 0", ["Gamma"]),
    ("isHidden eq false", NAMES),
    ("not isHidden", NAMES),
    ("isHidden", []),
    ("displayName eq null", []),
]


@pytest.mark.parametrize(("expression", "expected"), FILTERS)
async def test_filter_selects_the_matching_child_folders(alice: Mailbox, tree: dict[str, dict[str, Any]],
                                                         expression: str, expected: list[str]) -> None:
    assert await names(alice, **{"$filter": expression}) == expected


async def test_filter_by_id_and_parent(alice: Mailbox, tree: dict[str, dict[str, Any]]) -> None:
    gamma = tree["Gamma"]
    assert await names(alice, **{"$filter": f"id eq '{gamma['id']}'"}) == ["Gamma"]
    assert await names(alice, **{"$filter": f"parentFolderId eq '{gamma['parentFolderId']}'"}) == NAMES
    assert await names(alice, f"mailFolders/{gamma['id']}/childFolders",
                       **{"$filter": f"parentFolderId eq '{gamma['id']}'"}) == ["Inner"]


async def test_filter_on_mail_folders_finds_a_folder_by_name(alice: Mailbox) -> None:
    inbox = await alice.folder("inbox")
    [found] = (await listed(alice, "mailFolders", **{"$filter": "displayName eq 'Inbox'"}))["value"]
    assert found == entity(inbox)
    assert await names(alice, "mailFolders", **{"$filter": "startswith(displayName,'d')"}) == [
        "Deleted Items", "Drafts"]
    assert await names(alice, "mailFolders", **{"$filter": "totalItemCount gt 0"}) == []


async def test_hidden_folders_are_filtered_only_when_included(alice: Mailbox, tree: dict[str, dict[str, Any]]) -> None:
    shown = {"includeHiddenFolders": "true"}
    assert await names(alice, **shown, **{"$filter": "isHidden eq true"}) == ["Zeta"]
    assert await names(alice, **shown, **{"$filter": "totalItemCount eq 1 or displayName eq 'beta'"}) == [
        "beta", "Zeta"]
    assert await names(alice, **shown, **{"$filter": "not isHidden"}) == NAMES
    assert await names(alice, **{"$filter": "displayName eq 'Zeta'"}) == []
    assert await names(alice, "mailFolders", **shown, **{"$filter": "isHidden"}) == ["Clutter"]


# -- $orderby --------------------------------------------------------------------------------

ORDERS = [
    ("displayName", NAMES),
    ("displayName asc", NAMES),
    ("DisplayName DESC", list(reversed(NAMES))),
    ("totalItemCount desc,displayName", ["Receipts 2024", "Alpha", "50% off_sale", "beta", "Gamma"]),
    ("unreadItemCount, displayName desc", ["Gamma", "beta", "50% off_sale", "Alpha", "Receipts 2024"]),
    ("childFolderCount desc, totalItemCount, displayName", ["Gamma", "50% off_sale", "beta", "Alpha",
                                                             "Receipts 2024"]),
]


@pytest.mark.parametrize(("orderby", "expected"), ORDERS)
async def test_orderby_sorts_the_child_folders(alice: Mailbox, tree: dict[str, dict[str, Any]], orderby: str,
                                               expected: list[str]) -> None:
    assert await names(alice, **{"$orderby": orderby}) == expected


async def test_orderby_need_not_follow_the_filter_on_folders(alice: Mailbox, tree: dict[str, dict[str, Any]]) -> None:
    # Exchange's InefficientFilter rule is one of message searches; a folder list has no such rule.
    assert await names(alice, **{"$filter": "totalItemCount eq 0", "$orderby": "displayName desc"}) == [
        "Gamma", "beta", "50% off_sale"]


# -- $select ---------------------------------------------------------------------------------

async def test_select_returns_only_the_named_properties_with_the_id(alice: Mailbox,
                                                                     tree: dict[str, dict[str, Any]]) -> None:
    body = await listed(alice, **{"$select": "totalItemCount,DisplayName"})
    assert body["@odata.context"] == ("http://graph.test/v1.0/$metadata#users('me')/"
                                      "mailFolders('inbox')/childFolders(totalItemCount,displayName)")
    assert body["value"] == [{"id": tree[name]["id"], "displayName": name,
                              "totalItemCount": {"Alpha": 2, "Receipts 2024": 3}.get(name, 0)} for name in NAMES]
    [only] = (await listed(alice, **{"$select": "id", "$filter": "displayName eq 'Gamma'"}))["value"]
    assert only == {"id": tree["Gamma"]["id"]}
    [everything] = (await listed(alice, **{"$select": "*", "$filter": "displayName eq 'Gamma'"}))["value"]
    assert set(everything) == FOLDER_KEYS
    [navigation] = (await listed(alice, **{"$select": "childFolders,isHidden", "$filter": "isHidden eq false",
                                           "$top": "1"}))["value"]
    assert navigation == {"id": tree["50% off_sale"]["id"], "isHidden": False}


@pytest.mark.parametrize("via", MAILBOX_PATHS)
async def test_mail_folders_take_select_and_filter_on_every_mailbox_path(client: httpx.AsyncClient, tokens: TokenMint,
                                                                           via: str) -> None:
    mailbox = await mailbox_via(client, tokens, via)
    body = await listed(mailbox, "mailFolders", **{"$select": "displayName", "$filter": "startswith(displayName,'S')"})
    version, kind = via.split("/")
    owner = "users('me')" if kind == "me" else "users('alice@contoso.test')"
    assert body["@odata.context"] == f"http://graph.test/{version}/$metadata#{owner}/mailFolders(displayName)"
    sent = await mailbox.folder("sentitems")
    assert body["value"] == [{"id": sent["id"], "displayName": "Sent Items"}]


async def test_select_on_one_folder(alice: Mailbox, tree: dict[str, dict[str, Any]]) -> None:
    response = await alice.get("mailFolders/Inbox", params={"$select": "displayName,childFolderCount"})
    assert response.status_code == 200, response.text
    inbox = response.json()
    assert inbox == {"@odata.context": "http://graph.test/v1.0/$metadata#users('me')/"
                                       "mailFolders(displayName,childFolderCount)/$entity",
                     "id": inbox["id"], "displayName": "Inbox", "childFolderCount": 6}
    alpha = tree["Alpha"]["id"]
    response = await alice.get(f"mailFolders/inbox/childFolders/{alpha}", params={"$select": "unreadItemCount"})
    assert response.json() == {"@odata.context": "http://graph.test/v1.0/$metadata#users('me')/"
                                                 "mailFolders('inbox')/childFolders(unreadItemCount)/$entity",
                               "id": alpha, "unreadItemCount": 1}
    plain = await alice.folder(alpha)
    assert set(plain) == FOLDER_KEYS | {"@odata.context"}
    assert plain["@odata.context"].endswith("#users('me')/mailFolders/$entity")


async def test_select_is_not_applied_to_a_created_folder(alice: Mailbox) -> None:
    # As for messages, $select shapes what a GET returns; a POST answers the whole folder.
    response = await alice.post("mailFolders", params={"$select": "displayName"}, json={"displayName": "Made"})
    assert response.status_code == 201, response.text
    assert set(response.json()) == FOLDER_KEYS | {"@odata.context"}


# -- $top, $skip, the nextLink and $count ----------------------------------------------------

async def test_count_counts_every_matching_folder_not_the_page(alice: Mailbox, tree: dict[str, dict[str, Any]]) -> None:
    body = await listed(alice, **{"$count": "true", "$top": "2"})
    assert list(body) == ["@odata.context", "@odata.count", "value", "@odata.nextLink"]
    assert body["@odata.count"] == 5 and len(body["value"]) == 2
    assert (await listed(alice, **{"$count": "TRUE", "$filter": "totalItemCount gt 0"}))["@odata.count"] == 2
    assert (await listed(alice, **{"$count": "true", "includeHiddenFolders": "true"}))["@odata.count"] == 6
    assert (await listed(alice, **{"$count": "true", "$skip": "4"}))["@odata.count"] == 5
    assert (await listed(alice, **{"$count": "true", "$filter": "displayName eq 'none'"}))["@odata.count"] == 0
    assert "@odata.count" not in await listed(alice, **{"$count": "false"})
    assert (await listed(alice, "mailFolders", **{"$count": "true"}))["@odata.count"] == len(VISIBLE)


async def test_count_is_left_out_with_top_zero_as_for_messages(alice: Mailbox, tree: dict[str, dict[str, Any]]) -> None:
    empty = await listed(alice, **{"$count": "true", "$top": "0"})
    assert empty["value"] == [] and "@odata.count" not in empty and "@odata.nextLink" not in empty


async def test_next_links_keep_the_query_and_page_by_skip(alice: Mailbox, tree: dict[str, dict[str, Any]]) -> None:
    params = {"$filter": "isHidden eq false", "$orderby": "displayName desc", "$select": "displayName",
              "$count": "true", "$top": "2", "includeHiddenFolders": "true"}
    pages = await follow(alice, await listed(alice, **params))
    assert [[folder["displayName"] for folder in page["value"]] for page in pages] == [
        ["Receipts 2024", "Gamma"], ["beta", "Alpha"], ["50% off_sale"]]
    assert all(page["@odata.count"] == 5 for page in pages)
    assert all(set(folder) == {"id", "displayName"} for page in pages for folder in page["value"])
    links = [urlsplit(page["@odata.nextLink"]) for page in pages[:-1]]
    assert all(link.path == "/v1.0/me/mailFolders/inbox/childFolders" for link in links)
    assert [dict(parse_qsl(link.query)) for link in links] == [
        {**params, "$skip": "2"}, {**params, "$skip": "4"}]


async def test_skip_starts_the_page_further_on(alice: Mailbox, tree: dict[str, dict[str, Any]]) -> None:
    assert await names(alice, **{"$skip": "3"}) == NAMES[3:]
    body = await listed(alice, **{"$skip": "1", "$top": "2", "$orderby": "displayName desc"})
    assert [folder["displayName"] for folder in body["value"]] == ["Gamma", "beta"]
    assert dict(parse_qsl(urlsplit(body["@odata.nextLink"]).query))["$skip"] == "3"
    assert await names(alice, **{"$skip": "5"}) == []


async def test_pages_of_equal_sort_values_neither_repeat_nor_skip_a_folder(alice: Mailbox) -> None:
    made = [(await create(alice, f"Same {number:02d}", "archive"))["id"] for number in range(12)]
    pages = await follow(alice, await listed(alice, "mailFolders/archive/childFolders",
                                             **{"$orderby": "totalItemCount", "$top": "5"}))
    assert [len(page["value"]) for page in pages] == [5, 5, 2]
    seen = [folder["id"] for page in pages for folder in page["value"]]
    assert sorted(seen) == sorted(made)


async def test_beta_pages_options_written_without_the_dollar(client: httpx.AsyncClient, tokens: TokenMint,
                                                             tree: dict[str, dict[str, Any]]) -> None:
    beta = await delegated(client, tokens, version="beta")
    body = await listed(beta, **{"top": "3", "orderby": "displayName desc", "select": "displayName", "count": "true"})
    pages = await follow(beta, body)
    assert [folder["displayName"] for page in pages for folder in page["value"]] == list(reversed(NAMES))
    assert pages[0]["@odata.context"].endswith("/childFolders(displayName)") and pages[1]["@odata.count"] == 5
    query = dict(parse_qsl(urlsplit(body["@odata.nextLink"]).query))
    assert query == {"orderby": "displayName desc", "select": "displayName", "count": "true", "$top": "3",
                     "$skip": "3"}


# -- what Graph refuses -------------------------------------------------------------------------

ERRORS: list[tuple[dict[str, str], int, str, str | None]] = [
    ({"$select": "displayName,subject"}, 400, PARSE_URI,
     "Could not find a property named 'subject' on type 'microsoft.graph.mailFolder'."),
    ({"$filter": "subject eq 'x'"}, 400, PARSE_URI,
     "Could not find a property named 'subject' on type 'microsoft.graph.mailFolder'."),
    ({"$orderby": "sizeInBytes desc"}, 400, PARSE_URI,
     "Could not find a property named 'sizeInBytes' on type 'microsoft.graph.mailFolder'."),
    ({"$filter": "totalItemCount eq 'many'"}, 400, PARSE_URI,
     "A binary operator with incompatible types was detected. Found operand types 'Edm.Int32' and "
     "'Edm.String' for operator kind 'Equal'."),
    ({"$filter": "isHidden eq 1"}, 400, PARSE_URI, None),
    ({"$filter": "startswith(totalItemCount,'1')"}, 400, PARSE_URI, None),
    ({"$filter": "displayName"}, 400, PARSE_URI, "The $filter expression must evaluate to a single boolean value."),
    ({"$filter": "displayName eq"}, 400, PARSE_URI, "Expression expected at position 14 in 'displayName eq'."),
    ({"$filter": "shout(displayName) eq 'X'"}, 400, PARSE_URI, None),
    ({"$orderby": "childFolders"}, 400, PARSE_URI,
     "The $orderby expression must evaluate to a single value of primitive type."),
    ({"$orderby": "displayName sideways"}, 400, PARSE_URI, None),
    # Graph's own answer to `in` on mailFolders (microsoftgraph/microsoft-graph-docs#15911).
    ({"$filter": "displayName in ('Alpha','beta')"}, 400, INVALID_NODES,
     "The query filter contains one or more invalid nodes."),
    ({"$filter": "endswith(displayName,'a')"}, 400, INVALID_NODES, None),
    ({"$filter": "childFolders/any()"}, 400, INVALID_NODES, None),
    ({"$filter": "totalItemCount add 1 eq 2"}, 400, INVALID_NODES, None),
    ({"$filter": "totalItemCount eq unreadItemCount"}, 400, INVALID_NODES, None),
    ({"$filter": "isHidden gt false"}, 400, INVALID_NODES, None),
    ({"$top": "1001"}, 400, "BadRequest", None),
    ({"$top": "-1"}, 400, "BadRequest", None),
    ({"$skip": "ten"}, 400, "BadRequest", None),
    ({"$count": "yes"}, 400, "BadRequest", "'yes' is not a valid count option."),
    # Integers no 32-bit count can equal (found by tests/fuzz: a 500 from either database).
    ({"$filter": "childFolderCount eq 2147483648"}, 400, INVALID_NODES, None),
    ({"$filter": "totalItemCount lt 9223372036854775808"}, 400, INVALID_NODES, None),
    ({"$filter": "unreadItemCount ge -99999999999999999999"}, 400, INVALID_NODES, None),
]


@pytest.mark.parametrize(("params", "status", "code", "message"), ERRORS,
                         ids=[f"{i}-{next(iter(e[0]))}" for i, e in enumerate(ERRORS)])
async def test_what_graph_refuses_is_a_400_with_its_code(alice: Mailbox, params: dict[str, str], status: int,
                                                         code: str, message: str | None) -> None:
    for tail in ("mailFolders", CHILDREN):
        error = assert_graph_error(await alice.get(tail, params=params), status, code)
        if message is not None:
            assert error["message"] == message


async def test_an_unknown_property_in_select_on_one_folder_is_named(alice: Mailbox) -> None:
    for tail in ("mailFolders/inbox", f"mailFolders/msgfolderroot/childFolders/{(await alice.folder('drafts'))['id']}"):
        error = assert_graph_error(await alice.get(tail, params={"$select": "isJunk"}), 400, PARSE_URI)
        assert error["message"] == "Could not find a property named 'isJunk' on type 'microsoft.graph.mailFolder'."


async def test_an_option_given_twice_is_refused(alice: Mailbox) -> None:
    response = await alice.client.get(f"{alice.path}/mailFolders?$top=1&%24top=2", headers=alice.headers)
    error = assert_graph_error(response, 400, PARSE_URI)
    assert error["message"] == ("Query option '$top' was specified more than once, but it must be specified at "
                                "most once.")
