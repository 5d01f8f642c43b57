"""Query options at and past graphpost's bounds (odata/limits.py), on SQLite and PostgreSQL: up to
each bound a query is answered, past it Graph's 400; never the database's or Python's 500 (SQLite's
"parser stack overflow" and "LIKE or GLOB pattern too complex", PostgreSQL's 1,664 target-list
entries, RecursionError)."""

from __future__ import annotations

import base64

import orjson
import pytest

from graphpost.odata.limits import (MAX_COMPARISONS, MAX_DEPTH, MAX_ORDERBY_KEYS, MAX_PATTERN_LENGTH,
                                    MAX_QUERY_STRING, MAX_SEARCH_LENGTH, MAX_SEARCH_TERMS, MAX_SELECT_ITEMS)
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import ALICE, Mailbox, recipients

PARSE_URI = "RequestBroker--ParseUri"
TOO_COMPLEX = "ErrorRestrictionTooComplex"
INVALID_URL_QUERY = "ErrorInvalidUrlQuery"


def alternating(depth: int, leaf: str, beside: str = "isRead") -> str:
    """`leaf` under `depth` parentheses alternating `or` and `and` (`beside` the other operand):
    each one an SQL level."""
    text = leaf
    for level in range(depth):
        text = f"({beside} {'or' if level % 2 else 'and'} {text})"
    return text


def search_alternating(depth: int) -> str:
    text = "x"
    for level in range(depth):
        text = f"(participants:a {'OR' if level % 2 else 'AND'} {text})"
    return text


@pytest.fixture
async def mail(alice: Mailbox) -> str:
    """A message in Alice's Inbox, with a category; its subject."""
    sent = await alice.send_mail({"subject": "Bounded", "toRecipients": recipients(ALICE), "categories": ["Red"],
                                  "body": {"contentType": "text", "content": "pizza"}})
    assert sent.status_code == 202, sent.text
    return "Bounded"


# -- what the issue found: each was a 500 --------------------------------------------------------

PAST_THE_BOUNDS: list[tuple[str, dict[str, str], str]] = [
    ("messages", {"$search": "NOT " * 40 + "pizza"}, INVALID_URL_QUERY),
    ("messages", {"$search": "NOT " * 300 + "pizza"}, INVALID_URL_QUERY),
    ("messages", {"$search": "-" * 60 + "pizza"}, INVALID_URL_QUERY),
    ("messages", {"$search": "(" * 236 + "pizza" + ")" * 236}, INVALID_URL_QUERY),
    ("messages", {"$search": search_alternating(MAX_DEPTH + 1)}, INVALID_URL_QUERY),
    ("messages", {"$search": "x" * 50_000}, "BadRequest"),
    ("messages", {"$search": "x" * (MAX_SEARCH_LENGTH + 1)}, INVALID_URL_QUERY),
    ("messages", {"$search": '"' + "x" * MAX_SEARCH_LENGTH + '"'}, INVALID_URL_QUERY),
    ("messages", {"$filter": "contains(subject,'" + "x" * 49_999 + "')"}, "BadRequest"),
    ("messages", {"$filter": "contains(subject,'" + "x" * (MAX_PATTERN_LENGTH + 1) + "')"}, TOO_COMPLEX),
    ("messages", {"$filter": "startswith(subject,'" + "_" * (MAX_PATTERN_LENGTH + 1) + "')"}, TOO_COMPLEX),
    ("messages", {"$filter": "categories/any(c:contains(c,'" + "x" * (MAX_PATTERN_LENGTH + 1) + "'))"},
     TOO_COMPLEX),
    ("mailFolders", {"$filter": "contains(displayName,'" + "x" * 49_999 + "')"}, "BadRequest"),
    ("mailFolders", {"$filter": "contains(displayName,'" + "x" * (MAX_PATTERN_LENGTH + 1) + "')"}, TOO_COMPLEX),
    ("messages", {"$orderby": ",".join(["subject"] * 500)}, TOO_COMPLEX),
    ("messages", {"$orderby": ",".join(["receivedDateTime desc"] * (MAX_ORDERBY_KEYS + 1))}, TOO_COMPLEX),
    ("mailFolders", {"$orderby": ",".join(["displayName"] * (MAX_ORDERBY_KEYS + 1))}, TOO_COMPLEX),
    ("messages", {"$filter": alternating(MAX_DEPTH + 1, "isRead")}, PARSE_URI),
    ("messages", {"$filter": "not " * 99 + "isRead"}, PARSE_URI),
    ("messages", {"$filter": "not (" * 40 + "isRead" + ")" * 40}, PARSE_URI),
    ("messages", {"$filter": "categories/any(c:" * 40 + "c eq 'x'" + ")" * 40}, PARSE_URI),
    ("messages", {"$filter": "categories/any(c:categories/any(d:d eq c))"}, "ErrorInvalidUrlQueryFilter"),
    ("mailFolders", {"$filter": alternating(MAX_DEPTH + 1, "isHidden", "isHidden")}, PARSE_URI),
    ("messages", {"$select": ",".join(["subject"] * (MAX_SELECT_ITEMS + 1))}, PARSE_URI),
    ("messages", {"$filter": "subject eq '" + "x" * MAX_QUERY_STRING + "'"}, "BadRequest"),
]


@pytest.mark.parametrize(("tail", "params", "code"), PAST_THE_BOUNDS,
                         ids=[f"{i}-{next(iter(case[1]))}" for i, case in enumerate(PAST_THE_BOUNDS)])
async def test_a_query_past_the_bounds_is_a_400(alice: Mailbox, mail: str, tail: str, params: dict[str, str],
                                                code: str) -> None:
    assert_graph_error(await alice.get(tail, params=params), 400, code)


# -- up to the bounds, a query is answered -------------------------------------------------------

async def test_a_filter_nested_to_the_bound_is_answered(alice: Mailbox, mail: str) -> None:
    # The deepest SQL a filter can make: alternating and/or all the way, a call or a lambda as leaf.
    for leaf in ("isRead eq false", "contains(from/emailAddress/address,'a')",
                 "categories/any(c:c eq 'Red' or c eq 'Blue')"):
        response = await alice.get("messages", params={"$filter": alternating(MAX_DEPTH - 1, leaf)})
        assert response.status_code == 200, (leaf, response.text)
    odd = MAX_DEPTH - 1 + MAX_DEPTH % 2
    response = await alice.get("mailFolders/inbox/messages", params={"$filter": "not " * odd + "isRead"})
    assert [message["subject"] for message in response.json()["value"]] == [mail]  # unread


async def test_a_folder_filter_nested_to_the_bound_is_answered(alice: Mailbox) -> None:
    deepest = alternating(MAX_DEPTH - 1, "contains(displayName,'box')", "isHidden eq false")
    response = await alice.get("mailFolders", params={"$filter": deepest, "$count": "true"})
    assert response.status_code == 200, response.text
    visible = await alice.get("mailFolders", params={"$filter": "isHidden eq false", "$count": "true"})
    assert response.json()["value"] == visible.json()["value"] != []


async def test_a_search_nested_to_the_bound_is_answered(alice: Mailbox, mail: str) -> None:
    for search in (search_alternating(MAX_DEPTH), "NOT " * (MAX_DEPTH - 1) + "(participants:a OR attachment:b)",
                   "NOT " * MAX_DEPTH + "pizza"):
        response = await alice.get("messages", params={"$search": search})
        assert response.status_code == 200, (search, response.text)
    even = MAX_DEPTH - MAX_DEPTH % 2
    response = await alice.get("mailFolders/inbox/messages", params={"$search": "NOT " * even + "pizza"})
    assert [message["subject"] for message in response.json()["value"]] == [mail]


async def test_literals_as_long_as_the_bounds_are_answered(alice: Mailbox, mail: str) -> None:
    # `_` is escaped in the LIKE pattern, which doubles it: still within SQLite's limit.
    for pattern in ("x" * MAX_PATTERN_LENGTH, "_" * MAX_PATTERN_LENGTH):
        for tail, name in (("messages", "subject"), ("mailFolders", "displayName")):
            response = await alice.get(tail, params={"$filter": f"contains({name},'{pattern}')"})
            assert response.status_code == 200 and response.json()["value"] == [], response.text
    response = await alice.get("messages", params={"$search": "x" * MAX_SEARCH_LENGTH})
    assert response.status_code == 200 and response.json()["value"] == [], response.text


async def test_orderby_and_select_up_to_their_bounds_are_answered(alice: Mailbox, mail: str) -> None:
    response = await alice.get("mailFolders/inbox/messages",
                               params={"$orderby": ",".join(["subject"] * MAX_ORDERBY_KEYS),
                                       "$select": ",".join(["subject"] * MAX_SELECT_ITEMS)})
    assert response.status_code == 200, response.text
    assert [message["subject"] for message in response.json()["value"]] == [mail]
    response = await alice.get("mailFolders", params={"$orderby": ",".join(["displayName"] * MAX_ORDERBY_KEYS)})
    assert response.status_code == 200, response.text


def guarded_chain(count: int) -> str:
    # sentDateTime may be NULL, so each comparison is two SQL terms; `+` for spaces, as a form
    # encodes them, keeps 495 of them within the query string.
    return "+and+".join(["sentDateTime+ge+2020-01-01"] * count)


async def test_the_longest_chains_are_answered(alice: Mailbox, mail: str) -> None:
    inbox = f"{alice.path}/mailFolders/inbox/messages"
    response = await alice.client.get(f"{inbox}?$filter={guarded_chain(MAX_COMPARISONS)}&$count=true",
                                      headers=alice.headers)
    assert response.status_code == 200, response.text
    assert [message["subject"] for message in response.json()["value"]] == [mail]
    words = " OR ".join(["participants:no"] * (MAX_SEARCH_TERMS - 1) + ["pizza"])
    response = await alice.get("mailFolders/inbox/messages", params={"$search": words})
    assert response.status_code == 200, response.text
    assert [message["subject"] for message in response.json()["value"]] == [mail]


async def test_chains_sqlite_could_not_take_are_a_400(alice: Mailbox, mail: str) -> None:
    # 495 guarded comparisons, or 198 participants: restrictions, were past SQLite's 1,000 terms.
    response = await alice.client.get(f"{alice.path}/messages?$filter={guarded_chain(495)}", headers=alice.headers)
    assert_graph_error(response, 400, "InefficientFilter")
    response = await alice.get("messages", params={"$search": " OR ".join(["participants:x"] * 198)})
    assert_graph_error(response, 400, INVALID_URL_QUERY)


# -- $top, $skip and $skiptoken ------------------------------------------------------------------

def forged(keys: list[object], served: object = 0) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"k": keys, "n": served})).decode().rstrip("=")


@pytest.mark.parametrize("params", [
    {"$top": "9" * 400}, {"$skip": "9" * 400}, {"$skip": "-1"}, {"$top": "1e3"}, {"$skip": "0x10"},
    {"$skiptoken": "x" * 10_000}, {"$skiptoken": "%"}, {"$skiptoken": forged([])},
    # A forged token whose values no database could bind: past 64 bits, or holding a NUL.
    {"$skiptoken": forged([2**64 - 1, "id"]), "$orderby": "importance"},
    {"$skiptoken": forged(["a\u0000", "id"]), "$orderby": "subject"},
    {"$skiptoken": forged(["2026-01-01T00:00:00+00:00", "id"], 2**64 - 1)},
], ids=lambda params: "-".join(params))
async def test_paging_options_no_database_can_take_are_a_400(alice: Mailbox, mail: str,
                                                            params: dict[str, str]) -> None:
    for tail in ("messages", "mailFolders"):
        if tail == "mailFolders" and "$skiptoken" in params:
            continue  # folders page by $skip (api/folder_query.py)
        response = await alice.get(tail, params=params)
        assert response.status_code == 400, response.text
        assert_graph_error(response, 400, response.json()["error"]["code"])


async def test_the_largest_skip_is_answered(alice: Mailbox, mail: str) -> None:
    for tail in ("messages", "mailFolders"):
        response = await alice.get(tail, params={"$skip": str(2**31 - 1)})
        assert response.status_code == 200 and response.json()["value"] == [], response.text
