"""OData query options on message collections (…/messages, …/mailFolders/{id}/messages) and
$select on one message, on SQLite and PostgreSQL: $select, $filter, $orderby (and Graph's rule
tying it to $filter), $top, $skip, $count, $search, keyset paging with $skiptoken while mail
arrives, and Graph's 400s for everything it refuses (never a 500)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from graphpost.mail.messages import new_draft
from graphpost.store import directory as directory_rows
from graphpost.store import json_sql
from graphpost.store import mailbox as store
from graphpost.store.database import Database
from graphpost.store.schema import messages
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import ALICE, BOB, CAROL, MESSAGE_KEYS, Mailbox, delegated, file_attachment, recipients
from tests.tokens import TokenMint

PARSE_URI = "RequestBroker--ParseUri"
INVALID_NODES = "ErrorInvalidUrlQueryFilter"


@dataclass
class Seeded:
    """Alice's mailbox: four received messages and one draft, by subject."""
    ids: dict[str, str]

    def __getitem__(self, subject: str) -> str:
        return self.ids[subject]


async def received_by_subject(mailbox: Mailbox) -> dict[str, dict[str, Any]]:
    response = await mailbox.get("messages", params={"$top": "100"})
    assert response.status_code == 200, response.text
    return {message["subject"]: message for message in response.json()["value"]}


@pytest.fixture
async def seeded(alice: Mailbox, bob: Mailbox, carol: Mailbox) -> Seeded:
    for sender, message in [
        (bob, {"subject": "Quarterly report", "importance": "high", "toRecipients": recipients(ALICE),
               "ccRecipients": recipients("dave@example.org"),
               "body": {"contentType": "text", "content": "The numbers are inside."}}),
        (bob, {"subject": "Lunch on Friday", "toRecipients": recipients(ALICE),
               "body": {"contentType": "text", "content": "Pizza or salad?"}}),
        (carol, {"subject": "Budget review", "toRecipients": recipients(ALICE), "importance": "low",
                 "body": {"contentType": "html", "content": "<p>See the <b>sheet</b>.</p>"},
                 "attachments": [file_attachment("budget.csv", b"a,b\n1,2\n", "text/csv")]}),
        (bob, {"subject": "Re: Lunch on Friday", "toRecipients": recipients(ALICE, CAROL),
               "body": {"contentType": "text", "content": "Salad it is."}}),
    ]:
        response = await sender.send_mail(message)
        assert response.status_code == 202, response.text
    await alice.create_draft(subject="Draft plan", categories=["Blue"], toRecipients=recipients(BOB),
                             body={"contentType": "text", "content": "Plan for next quarter"})
    found = await received_by_subject(alice)
    lunch = found["Lunch on Friday"]["id"]
    response = await alice.patch(f"messages/{lunch}", json={"isRead": True, "categories": ["Red", "Blue"],
                                                            "flag": {"flagStatus": "flagged"}})
    assert response.status_code == 200, response.text
    return Seeded({subject: message["id"] for subject, message in (await received_by_subject(alice)).items()})


async def insert_drafts(db: Database, upn: str, subjects: list[str], times: list[datetime] | None = None) -> None:
    """Drafts straight into the store, many at once, as the API would have made them, written at
    `times` (a millisecond apart from now on, if not given)."""
    start = datetime.now(timezone.utc)
    times = times or [start + timedelta(milliseconds=n) for n in range(len(subjects))]
    async with db.write() as conn:
        owner = await directory_rows.user_by_upn(conn, upn)
        assert owner is not None
        folder_id = await store.folder_id_of(conn, owner.id, "drafts")
        await store.insert_messages(conn, [new_draft(owner, folder_id, {"subject": subject}, at)
                                           for subject, at in zip(subjects, times)])


async def listed(mailbox: Mailbox, tail: str = "messages", **params: str) -> dict[str, Any]:
    response = await mailbox.get(tail, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def subjects(mailbox: Mailbox, tail: str = "messages", **params: str) -> list[str]:
    return [message["subject"] for message in (await listed(mailbox, tail, **params))["value"]]


# Newest first: the draft was written after the four messages came in.
ALL = ["Draft plan", "Re: Lunch on Friday", "Budget review", "Lunch on Friday", "Quarterly report"]


# -- $select -------------------------------------------------------------------------------------

async def test_select_returns_only_the_named_properties_with_id_and_etag(alice: Mailbox, seeded: Seeded) -> None:
    body = await listed(alice, **{"$select": "from,subject", "$top": "50"})
    assert body["@odata.context"] == "http://graph.test/v1.0/$metadata#users('me')/messages(from,subject)"
    assert len(body["value"]) == 5
    for message in body["value"]:
        assert set(message) == {"@odata.etag", "id", "subject", "from"}
        assert message["@odata.etag"].startswith('W/"')
    by_subject = {message["subject"]: message for message in body["value"]}
    assert by_subject["Lunch on Friday"]["from"]["emailAddress"]["address"] == BOB
    assert by_subject["Draft plan"]["from"] is None


async def test_select_names_properties_in_any_case_and_star_is_the_default_set(alice: Mailbox,
                                                                                seeded: Seeded) -> None:
    [message] = (await listed(alice, **{"$select": "Subject,ISREAD", "$filter": "subject eq 'Draft plan'"}))["value"]
    assert set(message) == {"@odata.etag", "id", "subject", "isRead"}
    [everything] = (await listed(alice, **{"$select": "*", "$filter": "subject eq 'Draft plan'"}))["value"]
    assert set(everything) == MESSAGE_KEYS - {"@odata.context"}


async def test_internet_message_headers_and_unique_body_come_only_when_selected(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Headers", body={"contentType": "text", "content": "Hello"},
                                     internetMessageHeaders=[{"name": "x-trace", "value": "42"}])
    plain = await alice.message(draft["id"])
    assert "internetMessageHeaders" not in plain and "uniqueBody" not in plain
    response = await alice.get(f"messages/{draft['id']}",
                               params={"$select": "subject,internetMessageHeaders,uniqueBody"})
    assert response.status_code == 200, response.text
    chosen = response.json()
    assert chosen["@odata.context"] == ("http://graph.test/v1.0/$metadata#users('me')/"
                                        "messages(subject,internetMessageHeaders,uniqueBody)/$entity")
    assert set(chosen) == {"@odata.context", "@odata.etag", "id", "subject", "internetMessageHeaders", "uniqueBody"}
    assert chosen["internetMessageHeaders"] == [{"name": "x-trace", "value": "42"}]
    assert chosen["uniqueBody"] == {"contentType": "text", "content": "Hello"}
    [listed_one] = (await listed(alice, **{"$select": "internetMessageHeaders"}))["value"]
    assert listed_one == {"@odata.etag": chosen["@odata.etag"], "id": draft["id"],
                          "internetMessageHeaders": [{"name": "x-trace", "value": "42"}]}


async def test_select_of_an_unknown_property_names_it_on_a_list_and_on_one_message(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Unknown")
    for tail in ("messages", "mailFolders/drafts/messages", f"messages/{draft['id']}"):
        error = assert_graph_error(await alice.get(tail, params={"$select": "subject,isJunk"}), 400, PARSE_URI)
        assert error["message"] == "Could not find a property named 'isJunk' on type 'microsoft.graph.message'."


# -- $filter ----------------------------------------------------------------------------------

FILTERS = [
    ("isRead eq false", ["Re: Lunch on Friday", "Budget review", "Quarterly report"]),
    ("isRead eq true and isDraft eq false", ["Lunch on Friday"]),
    ("not isRead", ["Re: Lunch on Friday", "Budget review", "Quarterly report"]),
    ("isDraft", ["Draft plan"]),
    ("hasAttachments eq true", ["Budget review"]),
    ("importance eq 'high'", ["Quarterly report"]),
    ("importance ne 'normal'", ["Budget review", "Quarterly report"]),
    ("importance eq 'HIGH' or importance eq 'low'", ["Budget review", "Quarterly report"]),
    ("not (importance eq 'high') and isRead eq false", ["Re: Lunch on Friday", "Budget review"]),
    ("subject eq 'lunch on friday'", ["Lunch on Friday"]),
    ("Subject eq 'Lunch on Friday' or (subject eq 'Draft plan' and isDraft eq true)",
     ["Draft plan", "Lunch on Friday"]),
    ("subject ne 'Lunch on Friday'", ["Draft plan", "Re: Lunch on Friday", "Budget review", "Quarterly report"]),
    ("contains(subject,'LUNCH')", ["Re: Lunch on Friday", "Lunch on Friday"]),
    ("startswith(subject,'re:')", ["Re: Lunch on Friday"]),
    ("startswith(subject,'%') or contains(subject,'_')", []),
    ("from/emailAddress/address eq 'BOB@contoso.test'",
     ["Re: Lunch on Friday", "Lunch on Friday", "Quarterly report"]),
    ("sender/emailAddress/address eq 'carol@CONTOSO.test'", ["Budget review"]),
    ("startswith(from/emailAddress/address,'car')", ["Budget review"]),
    ("from/emailAddress/address ne 'bob@contoso.test'", ["Draft plan", "Budget review"]),
    ("categories/any(c: c eq 'red')", ["Lunch on Friday"]),
    ("categories/any(c: c eq 'Blue')", ["Draft plan", "Lunch on Friday"]),
    ("categories/any()", ["Draft plan", "Lunch on Friday"]),
    ("not categories/any()", ["Re: Lunch on Friday", "Budget review", "Quarterly report"]),
    ("categories/any(c: startswith(c,'bl') or c eq 'Green')", ["Draft plan", "Lunch on Friday"]),
    ("flag/flagStatus eq 'flagged'", ["Lunch on Friday"]),
    ("flag/flagStatus eq 'notFlagged' and isDraft eq false", ["Re: Lunch on Friday", "Budget review",
                                                               "Quarterly report"]),
    ("inferenceClassification eq 'focused' and importance eq 'low'", ["Budget review"]),
    ("inferenceClassification eq 'other'", []),
    ("isReadReceiptRequested eq false and isDraft", ["Draft plan"]),
    ("'Draft plan' eq subject", ["Draft plan"]),
    ("sentDateTime ne null and isDraft eq true", ["Draft plan"]),
    ("from/emailAddress/address eq null", ["Draft plan"]),
]


@pytest.mark.parametrize(("expression", "expected"), FILTERS)
async def test_filter_selects_the_matching_messages(alice: Mailbox, seeded: Seeded, expression: str,
                                                    expected: list[str]) -> None:
    assert await subjects(alice, **{"$filter": expression}) == expected


async def test_filter_on_times_compares_in_utc(alice: Mailbox, db: Database) -> None:
    days = [datetime(2026, 3, day, 12, tzinfo=timezone.utc) for day in (1, 2, 3)]
    await insert_drafts(db, ALICE, ["March 1", "March 2", "March 3"], days)
    assert await subjects(alice, **{"$filter": "receivedDateTime ge 2026-03-02T12:00:00Z"}) == ["March 3", "March 2"]
    assert await subjects(alice, **{"$filter": "receivedDateTime gt 2026-03-02T12:00:00Z"}) == ["March 3"]
    # The same instants written with offsets, and a date alone (its midnight, UTC).
    assert await subjects(alice, **{"$filter": "sentDateTime lt 2026-03-02T13:00:00+01:00"}) == ["March 1"]
    assert await subjects(alice, **{"$filter": "createdDateTime le 2026-03-02T07:00:00-05:00"}) == [
        "March 2", "March 1"]
    assert await subjects(alice, **{"$filter": "receivedDateTime ge 2026-03-02 and receivedDateTime lt 2026-03-03"}) == [
        "March 2"]
    assert await subjects(alice, **{"$filter": "lastModifiedDateTime ne 2026-03-01T12:00:00Z"}) == [
        "March 3", "March 2"]
    assert await subjects(alice, **{"$filter": "receivedDateTime ge 2026-03-02T12:00:00Z",
                                    "$orderby": "receivedDateTime"}) == ["March 2", "March 3"]


async def test_filter_on_ids(alice: Mailbox, seeded: Seeded) -> None:
    lunch = await alice.message(seeded["Lunch on Friday"])
    assert await subjects(alice, **{"$filter": f"id eq '{lunch['id']}'"}) == ["Lunch on Friday"]
    assert await subjects(alice, **{"$filter": f"conversationId eq '{lunch['conversationId']}'"}) == [
        "Lunch on Friday"]
    assert await subjects(alice, **{"$filter": f"internetMessageId eq '{lunch['internetMessageId']}'"}) == [
        "Lunch on Friday"]
    inbox = await alice.folder("inbox")
    assert await subjects(alice, **{"$filter": f"parentFolderId eq '{inbox['id']}'"}) == [
        "Re: Lunch on Friday", "Budget review", "Lunch on Friday", "Quarterly report"]


async def test_filter_by_id_takes_immutable_ids_when_they_are_preferred(alice: Mailbox, seeded: Seeded) -> None:
    prefer = {"Prefer": 'IdType="ImmutableId"'}
    response = await alice.get("messages", params={"$filter": "subject eq 'Budget review'"}, headers=prefer)
    [budget] = response.json()["value"]
    assert budget["id"] != seeded["Budget review"]
    response = await alice.get("messages", params={"$filter": f"id eq '{budget['id']}'"}, headers=prefer)
    assert [message["subject"] for message in response.json()["value"]] == ["Budget review"]


async def test_filter_in_a_folder_and_by_well_known_name(alice: Mailbox, seeded: Seeded) -> None:
    assert await subjects(alice, "mailFolders/inbox/messages", **{"$filter": "categories/any()"}) == [
        "Lunch on Friday"]
    assert await subjects(alice, "mailFolders/Drafts/messages", **{"$filter": "isRead eq true"}) == ["Draft plan"]
    body = await listed(alice, "mailFolders/inbox/messages", **{"$select": "subject"})
    assert body["@odata.context"].endswith("#users('me')/mailFolders('inbox')/messages(subject)")


async def test_beta_takes_query_options_without_the_dollar(client: httpx.AsyncClient, tokens: TokenMint,
                                                           seeded: Seeded) -> None:
    beta = await delegated(client, tokens, ALICE, "beta")
    body = await listed(beta, **{"filter": "importance eq 'high'", "select": "subject"})
    assert body["value"] == [{"@odata.etag": body["value"][0]["@odata.etag"], "id": seeded["Quarterly report"],
                              "subject": "Quarterly report"}]


# -- $orderby and Graph's rule for $filter with $orderby ---------------------------------------

ORDERS = [
    ("subject", ["Budget review", "Draft plan", "Lunch on Friday", "Quarterly report", "Re: Lunch on Friday"]),
    ("subject desc", ["Re: Lunch on Friday", "Quarterly report", "Lunch on Friday", "Draft plan", "Budget review"]),
    ("receivedDateTime", list(reversed(ALL))),
    ("importance desc,subject", ["Quarterly report", "Draft plan", "Lunch on Friday", "Re: Lunch on Friday",
                                 "Budget review"]),
    ("isRead,from/emailAddress/address desc,subject", ["Budget review", "Quarterly report", "Re: Lunch on Friday",
                                                       "Lunch on Friday", "Draft plan"]),
    ("flag/flagStatus desc, hasAttachments desc, subject asc",
     ["Lunch on Friday", "Budget review", "Draft plan", "Quarterly report", "Re: Lunch on Friday"]),
]


@pytest.mark.parametrize(("orderby", "expected"), ORDERS)
async def test_orderby_sorts_by_one_or_several_keys(alice: Mailbox, seeded: Seeded, orderby: str,
                                                    expected: list[str]) -> None:
    assert await subjects(alice, **{"$orderby": orderby}) == expected


async def test_without_orderby_the_newest_come_first(alice: Mailbox, seeded: Seeded) -> None:
    assert await subjects(alice) == ALL


async def test_orderby_with_a_filter_on_the_same_properties_first_in_the_same_order(alice: Mailbox,
                                                                                   seeded: Seeded) -> None:
    assert await subjects(alice, **{"$filter": "receivedDateTime ge 1900-01-01T00:00:00Z and "
                                               "from/emailAddress/address eq 'bob@contoso.test'",
                                    "$orderby": "receivedDateTime"}) == [
        "Quarterly report", "Lunch on Friday", "Re: Lunch on Friday"]
    assert await subjects(alice, **{"$filter": "importance ne 'low' and startswith(subject,'q') or "
                                               "isDraft", "$orderby": "importance desc"}) == [
        "Quarterly report", "Draft plan"]


@pytest.mark.parametrize(("expression", "orderby"), [
    ("from/emailAddress/address eq 'bob@contoso.test'", "receivedDateTime"),
    ("isRead eq false", "receivedDateTime desc"),
    ("subject eq 'x' and importance eq 'high'", "importance,subject"),
    ("isRead eq false and subject eq 'x'", "subject"),
    ("subject eq 'x'", "subject,importance"),
])
async def test_orderby_not_leading_the_filter_is_an_inefficient_filter(alice: Mailbox, expression: str,
                                                                       orderby: str) -> None:
    error = assert_graph_error(await alice.get("messages", params={"$filter": expression, "$orderby": orderby}),
                               400, "InefficientFilter")
    assert error["message"] == "The restriction or sort order is too complex for this operation."


# -- $top, $skip, $count ----------------------------------------------------------------------

async def test_top_skip_and_count(alice: Mailbox, seeded: Seeded) -> None:
    body = await listed(alice, **{"$top": "2", "$count": "true", "$filter": "isDraft eq false"})
    assert body["@odata.count"] == 4
    assert [m["subject"] for m in body["value"]] == ["Re: Lunch on Friday", "Budget review"]
    skipped = await listed(alice, **{"$top": "2", "$skip": "1", "$count": "true"})
    assert skipped["@odata.count"] == 5
    assert [m["subject"] for m in skipped["value"]] == ["Re: Lunch on Friday", "Budget review"]
    # The next link continues after the page just served, without repeating the $skip.
    link = skipped["@odata.nextLink"]
    assert "%24skip=" not in link and "$skip=" not in link
    following = (await alice.client.get(link, headers=alice.headers)).json()
    assert [m["subject"] for m in following["value"]] == ["Lunch on Friday", "Quarterly report"]
    assert following["@odata.count"] == 5 and "@odata.nextLink" not in following
    assert "@odata.count" not in await listed(alice, **{"$count": "false"})


async def test_count_is_left_out_with_top_zero_and_with_search_as_graph_does(alice: Mailbox, seeded: Seeded) -> None:
    empty = await listed(alice, **{"$top": "0", "$count": "true"})
    assert empty["value"] == [] and "@odata.count" not in empty and "@odata.nextLink" not in empty
    searched = await listed(alice, **{"$search": '"lunch"', "$count": "true"})
    assert "@odata.count" not in searched and len(searched["value"]) == 2


async def test_next_link_keeps_every_other_option_as_written(alice: Mailbox, seeded: Seeded) -> None:
    options = {"$filter": "isDraft eq false", "$select": "subject,isRead", "$orderby": "isDraft",
               "$top": "1", "$count": "true", "custom": "kept"}
    body = await listed(alice, **options)
    link = urlsplit(body["@odata.nextLink"])
    assert link.path == "/v1.0/me/messages"
    params = parse_qsl(link.query)
    token = [value for key, value in params if key == "$skiptoken"]
    assert len(token) == 1 and token[0]
    assert [(key, value) for key, value in params if key != "$skiptoken"] == list(options.items())


async def test_paging_through_everything_with_next_links(alice: Mailbox, seeded: Seeded) -> None:
    for top in ("1", "2", "3"):
        for orderby in ("subject desc", "importance,receivedDateTime", "isRead desc,subject"):
            seen, body = [], await listed(alice, **{"$top": top, "$orderby": orderby})
            while True:
                seen += [message["subject"] for message in body["value"]]
                if "@odata.nextLink" not in body:
                    break
                body = (await alice.client.get(body["@odata.nextLink"], headers=alice.headers)).json()
            assert seen == await subjects(alice, **{"$orderby": orderby}), (top, orderby)


async def test_pages_neither_repeat_nor_skip_while_mail_arrives_and_leaves(alice: Mailbox, bob: Mailbox) -> None:
    old = [(await alice.create_draft(subject=f"Old {n}"))["id"] for n in range(8)]
    first = await listed(alice, **{"$top": "3", "$select": "subject"})
    seen = [message["id"] for message in first["value"]]
    # New mail lands before the second page: it is newer than everything on the first, and the
    # next pages carry on after the last row already served.
    for n in range(3):
        assert (await bob.send_mail({"subject": f"New {n}", "toRecipients": recipients(ALICE)})).status_code == 202
    await alice.create_draft(subject="Newer draft")
    second = (await alice.client.get(first["@odata.nextLink"], headers=alice.headers)).json()
    seen += [message["id"] for message in second["value"]]
    # An old message not yet served is deleted: it is simply not there, nothing else is lost.
    gone = old[0]
    assert gone not in seen
    assert (await alice.delete(f"messages/{gone}")).status_code == 204
    body = second
    while "@odata.nextLink" in body:
        body = (await alice.client.get(body["@odata.nextLink"], headers=alice.headers)).json()
        seen += [message["id"] for message in body["value"]]
    assert len(seen) == len(set(seen))
    assert seen == list(reversed(old[1:]))
    assert len(await subjects(alice, **{"$top": "100"})) == 11


async def test_offset_paging_would_have_repeated_a_row(alice: Mailbox) -> None:
    """The case keyset paging exists for: with $skip, one new message shifts every row by one."""
    for n in range(4):
        await alice.create_draft(subject=f"Old {n}")
    first = await listed(alice, **{"$top": "2"})
    assert [m["subject"] for m in first["value"]] == ["Old 3", "Old 2"]
    await alice.create_draft(subject="New")
    assert await subjects(alice, **{"$top": "2", "$skip": "2"}) == ["Old 2", "Old 1"]  # Old 2 again
    following = (await alice.client.get(first["@odata.nextLink"], headers=alice.headers)).json()
    assert [m["subject"] for m in following["value"]] == ["Old 1", "Old 0"]


async def test_search_pages_with_skiptoken(alice: Mailbox) -> None:
    for n in range(5):
        await alice.create_draft(subject=f"Report {n}")
    seen, body = [], await listed(alice, **{"$search": '"report"', "$top": "2"})
    while True:
        seen += [message["subject"] for message in body["value"]]
        if "@odata.nextLink" not in body:
            break
        assert "$skiptoken" in dict(parse_qsl(urlsplit(body["@odata.nextLink"]).query))
        body = (await alice.client.get(body["@odata.nextLink"], headers=alice.headers)).json()
    assert seen == [f"Report {n}" for n in reversed(range(5))]




async def test_search_gives_at_most_a_thousand_results(alice: Mailbox, db: Database) -> None:
    await insert_drafts(db, ALICE, [f"Match {n}" for n in range(1001)])
    whole = await listed(alice, **{"$search": "match", "$top": "1000"})
    assert len(whole["value"]) == 1000 and "@odata.nextLink" not in whole
    first = await listed(alice, **{"$search": "match", "$top": "999"})
    rest = (await alice.client.get(first["@odata.nextLink"], headers=alice.headers)).json()
    assert len(rest["value"]) == 1 and "@odata.nextLink" not in rest
    assert rest["value"][0]["subject"] == "Match 1"
    # A filter has no such cap.
    assert (await listed(alice, **{"$filter": "startswith(subject,'match')", "$count": "true"}))["@odata.count"] == 1001


# -- $search ------------------------------------------------------------------------------------

SEARCHES = [
    ('"lunch"', ["Re: Lunch on Friday", "Lunch on Friday"]),
    ("pizza", ["Lunch on Friday"]),
    ('"subject:report"', ["Quarterly report"]),
    ('"body:sheet"', ["Budget review"]),
    ('"from:carol"', ["Budget review"]),
    ('"from:bob@contoso.test AND lunch"', ["Re: Lunch on Friday", "Lunch on Friday"]),
    ('"to:carol@contoso.test"', ["Re: Lunch on Friday"]),
    ('"cc:dave"', ["Quarterly report"]),
    ('"participants:dave@example.org"', ["Quarterly report"]),
    ('"recipients:bob"', ["Draft plan"]),
    ('"attachment:budget"', ["Budget review"]),
    ('"hasAttachments:true"', ["Budget review"]),
    ('"importance:high OR importance:low"', ["Budget review", "Quarterly report"]),
    ('"lunch NOT pizza"', ["Re: Lunch on Friday"]),
    ('"-pizza lunch"', ["Re: Lunch on Friday"]),
    ('"friday -salad"', []),
    ('"category:red"', ["Lunch on Friday"]),
    ('"subject:\\"on Friday\\""', ["Re: Lunch on Friday", "Lunch on Friday"]),
    ('"received>=2000-01-01 AND subject:plan"', ["Draft plan"]),
    ('"received<2000-01-01"', []),
    ('"kind:email AND (numbers OR plan)"', ["Draft plan", "Quarterly report"]),
    ('"50%"', []),
]


@pytest.mark.parametrize(("search", "expected"), SEARCHES)
async def test_search_matches_words_and_properties(alice: Mailbox, seeded: Seeded, search: str,
                                                   expected: list[str]) -> None:
    assert await subjects(alice, **{"$search": search}) == expected


async def test_search_in_a_folder(alice: Mailbox, seeded: Seeded) -> None:
    assert await subjects(alice, "mailFolders/drafts/messages", **{"$search": '"plan"'}) == ["Draft plan"]
    assert await subjects(alice, "mailFolders/inbox/messages", **{"$search": '"plan"'}) == []


# -- what Graph refuses -----------------------------------------------------------------------------

ERRORS: list[tuple[dict[str, str], int, str, str | None]] = [
    ({"$filter": "isJunk ne true"}, 400, PARSE_URI,
     "Could not find a property named 'isJunk' on type 'microsoft.graph.message'."),
    ({"$filter": "from/emailAddress/phone eq 'x'"}, 400, PARSE_URI,
     "Could not find a property named 'phone' on type 'microsoft.graph.emailAddress'."),
    ({"$filter": "(isRead eq true"}, 400, PARSE_URI, "')' or operator expected at position 15 in '(isRead eq true'."),
    ({"$filter": "isRead eq true)"}, 400, PARSE_URI, "Syntax error at position 14 in 'isRead eq true)'."),
    ({"$filter": "isRead eq"}, 400, PARSE_URI, "Expression expected at position 9 in 'isRead eq'."),
    ({"$filter": "subject eq 'x"}, 400, PARSE_URI,
     "There is an unterminated string literal at position 11 in 'subject eq 'x'."),
    ({"$filter": "subject eq #"}, 400, PARSE_URI,
     "Syntax error: character '#' is not valid at position 11 in 'subject eq #'."),
    ({"$filter": "shout(subject) eq 'X'"}, 400, PARSE_URI,
     "An unknown function with name 'shout' was found. This may also be a function import or a key lookup on a "
     "navigation property, which is not allowed."),
    ({"$filter": "isRead eq 'yes'"}, 400, PARSE_URI,
     "A binary operator with incompatible types was detected. Found operand types 'Edm.Boolean' and "
     "'Edm.String' for operator kind 'Equal'."),
    ({"$filter": "receivedDateTime ge 'yesterday'"}, 400, PARSE_URI, None),
    ({"$filter": "subject gt 5"}, 400, PARSE_URI, None),
    ({"$filter": "from eq 'bob@contoso.test'"}, 400, PARSE_URI, None),
    ({"$filter": "importance eq 'urgent'"}, 400, PARSE_URI,
     "The string 'urgent' is not a valid enumeration type constant."),
    ({"$filter": "contains(importance,'h')"}, 400, PARSE_URI, None),
    ({"$filter": "subject"}, 400, PARSE_URI, "The $filter expression must evaluate to a single boolean value."),
    ({"$filter": "receivedDateTime ge 2026-13-01T00:00:00Z"}, 400, PARSE_URI, None),
    ({"$filter": "(" * 150 + "isRead" + ")" * 150}, 400, PARSE_URI, "Recursion depth exceeded allowed limit."),
    ({"$filter": "not " * 1000 + "isRead"}, 400, PARSE_URI, "Recursion depth exceeded allowed limit."),
    ({"$filter": "endswith(subject,'x')"}, 400, INVALID_NODES, "The query filter contains one or more invalid nodes."),
    ({"$filter": "toRecipients/any(r: r/emailAddress/address eq 'alice@contoso.test')"}, 400, INVALID_NODES, None),
    ({"$filter": "ccRecipients/any(r: r/emailAddress/address eq 'x')"}, 400, INVALID_NODES, None),
    ({"$filter": "categories/all(c: c eq 'Red')"}, 400, INVALID_NODES, None),
    ({"$filter": "subject in ('a','b')"}, 400, INVALID_NODES, None),
    ({"$filter": "subject eq subject"}, 400, INVALID_NODES, None),
    ({"$filter": "length(subject) gt 3"}, 400, INVALID_NODES, None),
    ({"$filter": "webLink eq 'x'"}, 400, INVALID_NODES, None),
    ({"$filter": "isRead gt false"}, 400, INVALID_NODES, None),
    ({"$filter": " or ".join(["isRead eq true"] * 501)}, 400, "InefficientFilter", None),
    ({"$search": "pizza", "$orderby": "subject"}, 400, "SearchWithOrderBy",
     "The query parameter '$orderBy' is not supported with '$search'."),
    ({"$search": "pizza", "$filter": "isRead eq true"}, 400, "SearchWithFilter",
     "The query parameter '$filter' is not supported with '$search'."),
    ({"$search": "(pizza"}, 400, "ErrorInvalidUrlQuery", None),
    ({"$orderby": "body"}, 400, PARSE_URI, "The $orderby expression must evaluate to a single value of primitive type."),
    ({"$orderby": "subject sideways"}, 400, PARSE_URI, "Syntax error at position 8 in 'subject sideways'."),
    ({"$orderby": "nope desc"}, 400, PARSE_URI, None),
    ({"$orderby": "subject,"}, 400, PARSE_URI, None),
    ({"$select": "subject,,from"}, 400, PARSE_URI, None),
    ({"$top": "1001"}, 400, "BadRequest", None),
    ({"$top": "-1"}, 400, "BadRequest", None),
    ({"$skip": "ten"}, 400, "BadRequest", None),
    ({"$count": "yes"}, 400, "BadRequest", "'yes' is not a valid count option."),
    ({"$skiptoken": "not a token"}, 400, "ErrorInvalidUrlQuery", None),
    ({"$skiptoken": "eyJrIjpbMV0sIm4iOjB9"}, 400, "ErrorInvalidUrlQuery", None),   # {"k":[1],"n":0}
]


@pytest.mark.parametrize(("params", "status", "code", "message"), ERRORS,
                         ids=[f"{i}-{next(iter(e[0]))}" for i, e in enumerate(ERRORS)])
async def test_what_graph_refuses_is_a_400_with_its_code(alice: Mailbox, params: dict[str, str], status: int,
                                                         code: str, message: str | None) -> None:
    for tail in ("messages", "mailFolders/inbox/messages"):
        error = assert_graph_error(await alice.get(tail, params=params), status, code)
        if message is not None:
            assert error["message"] == message


async def test_an_option_given_twice_is_refused(alice: Mailbox) -> None:
    response = await alice.client.get(f"{alice.path}/messages?$top=1&%24top=2", headers=alice.headers)
    error = assert_graph_error(response, 400, PARSE_URI)
    assert error["message"] == "Query option '$top' was specified more than once, but it must be specified at most once."


async def test_a_skiptoken_of_another_orderby_is_refused(alice: Mailbox, seeded: Seeded) -> None:
    body = await listed(alice, **{"$top": "1", "$orderby": "subject"})
    token = dict(parse_qsl(urlsplit(body["@odata.nextLink"]).query))["$skiptoken"]
    assert_graph_error(await alice.get("messages", params={"$skiptoken": token}), 400, "ErrorInvalidUrlQuery")
    assert_graph_error(await alice.get("messages", params={"$skiptoken": token, "$orderby": "isRead,subject"}),
                       400, "ErrorInvalidUrlQuery")


async def test_long_values_are_answered_not_failed(alice: Mailbox, seeded: Seeded) -> None:
    # The longest that fits the query string (odata/limits.py); longer is a 400 (tests/api/test_query_bounds.py).
    assert await subjects(alice, **{"$filter": "subject eq '" + "x" * 16_000 + "'"}) == []
    many = " or ".join(f"subject eq 'Subject {n}'" for n in range(400)) + " or subject eq 'Draft plan'"
    assert await subjects(alice, **{"$filter": many}) == ["Draft plan"]
    assert await subjects(alice, **{"$search": " OR ".join(["nothing"] * 150 + ["plan"])}) == ["Draft plan"]
    assert_graph_error(await alice.get("messages", params={"$search": " ".join(["word"] * 300)}),
                       400, "ErrorInvalidUrlQuery")


_PIECES = ["isRead", "subject", "from/emailAddress/address", "categories/any(c:c eq 'x')", "eq", "ne", "gt", "and",
           "or", "not", "(", ")", ",", "'x'", "'", "''", "true", "null", "1", "-", "2026-01-01T00:00:00Z", "contains(",
           "startswith(", "any(", "/", ":", "desc", "asc", "*", "$", "\"", "%", "\\", "é", " ", "  ", "\t", "[", "@"]


@pytest.mark.parametrize("option", ["$filter", "$orderby", "$select", "$search", "$skiptoken", "$top"])
async def test_garbage_never_fails_the_server(alice: Mailbox, seeded: Seeded, option: str) -> None:
    chance = random.Random(f"graphpost-{option}")
    for _ in range(150):
        value = "".join(chance.choice(_PIECES) for _ in range(chance.randint(1, 12)))
        response = await alice.get("messages", params={option: value})
        assert response.status_code in (200, 400), (option, value, response.text)
        if response.status_code == 400:
            assert_graph_error(response, 400, response.json()["error"]["code"])


# -- the store's JSON function, on both backends ---------------------------------------------------

async def test_any_element_reads_json_arrays_in_sql(alice: Mailbox, seeded: Seeded, db: Database) -> None:
    async with db.read() as conn:
        dialect = conn.dialect.name

        async def subjects_where(condition: sa.ColumnElement[bool]) -> list[str]:
            query = sa.select(messages.c.subject).where(condition).order_by(messages.c.subject)
            return list((await conn.execute(query)).scalars())

        assert await subjects_where(json_sql.any_element(messages.c.data, "categories", dialect,
                                                         lambda at: at(()) == "Red")) == ["Lunch on Friday"]
        to_carol = json_sql.any_element(messages.c.data, "toRecipients", dialect,
                                        lambda at: at(("emailAddress", "address")) == CAROL, objects=True)
        # Bob's copy in Sent Items and the copies in Alice's and Carol's Inboxes.
        assert await subjects_where(to_carol) == ["Re: Lunch on Friday"] * 3
        assert await subjects_where(json_sql.any_element(messages.c.data, "ccRecipients", dialect, objects=True)) == [
            "Quarterly report"] * 2
