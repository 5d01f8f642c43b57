"""parse_search: the KQL of `$search` on messages (learn.microsoft.com/graph/search-query-parameter)
read into a tree of words, phrases, property restrictions, AND, OR and NOT."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from graphpost.errors import InvalidUrlQuery
from graphpost.odata.limits import MAX_DEPTH, MAX_SEARCH_LENGTH
from graphpost.odata.search import (MAX_TERMS, All, AnyOf, DateRange, Exclude, Flag, Nothing, SearchNode, Text,
                                    parse_search)
from tests.odata.refusals import refusal

UTC = timezone.utc


def day(year: int, month: int, date: int, *time: int) -> datetime:
    return datetime(year, month, date, *time, tzinfo=UTC)


def words(*values: str) -> tuple[Text, ...]:
    return tuple(Text(None, value) for value in values)


@pytest.mark.parametrize(("text", "node"), [
    ("pizza", Text(None, "pizza")),
    # The value may come wrapped in double quotes, as Graph's docs write it, or in OData's single quotes.
    ('"pizza"', Text(None, "pizza")),
    ("'pizza'", Text(None, "pizza")),
    ("  pizza  ", Text(None, "pizza")),
    ("50%", Text(None, "50%")),
    ("bob@contoso.test", Text(None, "bob@contoso.test")),
    # Words side by side must all match.
    ("lunch pizza", All(words("lunch", "pizza"))),
    ('"lunch on friday"', All(words("lunch", "on", "friday"))),
])
def test_free_words_match_the_default_properties(text: str, node: SearchNode) -> None:
    assert parse_search(text) == node


@pytest.mark.parametrize(("text", "node"), [
    ('"\\"on Friday\\""', Text(None, "on Friday")),
    ('\\"on Friday\\"', Text(None, "on Friday")),
    ('lunch "on Friday"', All((Text(None, "lunch"), Text(None, "on Friday")))),
    ('lunch"on Friday"', All((Text(None, "lunch"), Text(None, "on Friday")))),
    ('"\\"a OR b\\""', Text(None, "a OR b")),
    ('"\\"(x)\\" y"', All((Text(None, "(x)"), Text(None, "y")))),
])
def test_a_quoted_phrase_is_one_text_with_its_spaces_and_keywords(text: str, node: SearchNode) -> None:
    assert parse_search(text) == node


@pytest.mark.parametrize(("text", "node"), [
    ("lunch AND pizza", All(words("lunch", "pizza"))),
    ("lunch OR pizza", AnyOf(words("lunch", "pizza"))),
    ("lunch OR pizza OR salad", AnyOf(words("lunch", "pizza", "salad"))),
    # AND (written or implied) binds tighter than OR.
    ("a OR b c", AnyOf((Text(None, "a"), All(words("b", "c"))))),
    ("a b OR c", AnyOf((All(words("a", "b")), Text(None, "c")))),
    ("a AND b OR c AND d", AnyOf((All(words("a", "b")), All(words("c", "d"))))),
    ("(a OR b) c", All((AnyOf(words("a", "b")), Text(None, "c")))),
    ("(a OR b) AND (c OR d)", All((AnyOf(words("a", "b")), AnyOf(words("c", "d"))))),
    ("x OR(y)", AnyOf(words("x", "y"))),
    ("((pizza))", Text(None, "pizza")),
    ("NOT pizza", Exclude(Text(None, "pizza"))),
    ("NOT(pizza)", Exclude(Text(None, "pizza"))),
    ("-pizza", Exclude(Text(None, "pizza"))),
    ("+pizza", Text(None, "pizza")),
    ("lunch NOT pizza", All((Text(None, "lunch"), Exclude(Text(None, "pizza"))))),
    ("-pizza lunch", All((Exclude(Text(None, "pizza")), Text(None, "lunch")))),
    ("NOT (a OR b)", Exclude(AnyOf(words("a", "b")))),
    ("NOT NOT a", Exclude(Exclude(Text(None, "a")))),
    # KQL's operators are upper case; otherwise they are words, as are words that merely begin with one.
    ("lunch or pizza", All(words("lunch", "or", "pizza"))),
    ("not pizza", All(words("not", "pizza"))),
    ("lunch ORANGE", All(words("lunch", "ORANGE"))),
    ("NOTE", Text(None, "NOTE")),
    ("AND", Text(None, "AND")),
    ("OR pizza", All(words("OR", "pizza"))),
])
def test_and_or_not_and_parentheses_combine_terms(text: str, node: SearchNode) -> None:
    assert parse_search(text) == node


@pytest.mark.parametrize(("text", "node"), [
    ("subject:report", Text("subject", "report")),
    ("Subject:Report", Text("subject", "Report")),
    ("body:sheet", Text("body", "sheet")),
    ("from:bob@contoso.test", Text("from", "bob@contoso.test")),
    ("from:carol", Text("from", "carol")),
    ("to:carol@contoso.test", Text("to", "carol@contoso.test")),
    ("cc:dave", Text("cc", "dave")),
    ("bcc:erin", Text("bcc", "erin")),
    ("participants:dave@example.org", Text("participants", "dave@example.org")),
    ("recipients:bob", Text("recipients", "bob")),
    ("attachment:budget", Text("attachment", "budget")),
    ("attachments:budget", Text("attachment", "budget")),
    ("category:red", Text("category", "red")),
    ("categories:red", Text("category", "red")),
    ("subject:'report'", Text("subject", "report")),
    ('subject:"on Friday"', Text("subject", "on Friday")),
    ('subject:\\"on Friday\\"', Text("subject", "on Friday")),
    ("subject=report", Text("subject", "report")),
    ("subject<>report", Exclude(Text("subject", "report"))),
    ("from:bob@contoso.test AND lunch", All((Text("from", "bob@contoso.test"), Text(None, "lunch")))),
    ("subject:plan OR to:bob", AnyOf((Text("subject", "plan"), Text("to", "bob")))),
    ("NOT from:bob", Exclude(Text("from", "bob"))),
    # A property KQL does not know, or one without a value, is plain text.
    ("foo:bar", Text(None, "foo:bar")),
    ("subject:", Text(None, "subject:")),
    ("http://contoso.test", Text(None, "http://contoso.test")),
])
def test_a_property_restriction_searches_one_property(text: str, node: SearchNode) -> None:
    assert parse_search(text) == node


@pytest.mark.parametrize(("text", "node"), [
    ("hasAttachments:true", Flag("hasattachments", "true")),
    ("hasattachments:YES", Flag("hasattachments", "true")),
    ("hasAttachment:false", Flag("hasattachments", "false")),
    ("hasAttachments:no", Flag("hasattachments", "false")),
    ("hasAttachments:maybe", Nothing()),
    ("importance:high", Flag("importance", "high")),
    ("importance:LOW", Flag("importance", "low")),
    ("importance:medium", Flag("importance", "normal")),
    ("importance<>high", Exclude(Flag("importance", "high"))),
    ("importance:high OR importance:low", AnyOf((Flag("importance", "high"), Flag("importance", "low")))),
    ("kind:email", Flag("kind", "email")),
    ("kind:Meetings", Flag("kind", "meetings")),
])
def test_flags_compare_with_a_value_in_lower_case(text: str, node: SearchNode) -> None:
    assert parse_search(text) == node


@pytest.mark.parametrize(("text", "node"), [
    ("received:2020-01-15", DateRange("received", day(2020, 1, 15), day(2020, 1, 16))),
    ("received=2020-01-15", DateRange("received", day(2020, 1, 15), day(2020, 1, 16))),
    ("received:1/15/2020", DateRange("received", day(2020, 1, 15), day(2020, 1, 16))),
    ("sent:2020-01-15", DateRange("sent", day(2020, 1, 15), day(2020, 1, 16))),
    ("received>2020-01-15", DateRange("received", day(2020, 1, 16), None)),
    ("received>=2020-01-15", DateRange("received", day(2020, 1, 15), None)),
    ("received<2020-01-15", DateRange("received", None, day(2020, 1, 15))),
    ("received<=2020-01-15", DateRange("received", None, day(2020, 1, 16))),
    ("received<>2020-01-15", Exclude(DateRange("received", day(2020, 1, 15), day(2020, 1, 16)))),
    # A range takes in the whole of its last day.
    ("received:2020-01-01..2020-01-31", DateRange("received", day(2020, 1, 1), day(2020, 2, 1))),
    ("sent=1/1/2020..1/31/2020", DateRange("sent", day(2020, 1, 1), day(2020, 2, 1))),
    # A time is a whole second.
    ("received:2020-01-15T10:00:00Z", DateRange("received", day(2020, 1, 15, 10), day(2020, 1, 15, 10, 0, 1))),
    ("received:2020-01-15T10:00:00", DateRange("received", day(2020, 1, 15, 10), day(2020, 1, 15, 10, 0, 1))),
    ("received>=2020-01-15T10:00:00Z", DateRange("received", day(2020, 1, 15, 10), None)),
    ("received<2020-01-15T10:00:00Z", DateRange("received", None, day(2020, 1, 15, 10))),
    ("received>=2000-01-01 AND subject:plan", All((DateRange("received", day(2000, 1, 1), None),
                                                  Text("subject", "plan")))),
])
def test_received_and_sent_are_date_ranges_from_start_to_before_end(text: str, node: SearchNode) -> None:
    assert parse_search(text) == node


@pytest.mark.parametrize("text", ["received:yesterday", "received:2020-13-01", "sent:2020-01-01..",
                                  "received:2020-01-01..soon", "sent>=15.01.2020"])
def test_a_date_kql_cannot_read_matches_nothing(text: str) -> None:
    assert parse_search(text) == Nothing()


@pytest.mark.parametrize(("text", "expected"), [
    ("received>2020-01-15T10:00:00Z", DateRange("received", day(2020, 1, 15, 10, 0, 1), None)),
    ("received<=2020-01-15T10:00:00Z", DateRange("received", None, day(2020, 1, 15, 10, 0, 1))),
    ("received<>2020-01-15T10:00:00Z",
     Exclude(DateRange("received", day(2020, 1, 15, 10), day(2020, 1, 15, 10, 0, 1)))),
    ("received:2020-01-15T00:00:00Z..2020-01-15T12:00:00Z",
     DateRange("received", day(2020, 1, 15), day(2020, 1, 15, 12, 0, 1))),
    # A range's end is the whole of what it names: a day when it is a date, a second when it is a time.
    ("received:2020-01-15T12:00:00Z..2020-01-16", DateRange("received", day(2020, 1, 15, 12), day(2020, 1, 17))),
])
def test_a_comparison_with_a_time_treats_it_as_a_whole_second_as_colon_does(text: str, expected: SearchNode) -> None:
    assert parse_search(text) == expected


@pytest.mark.parametrize(("text", "node"), [
    ('"lunch" OR "pizza"', AnyOf((Text(None, "lunch"), Text(None, "pizza")))),
    ('"on Friday" "at noon"', All((Text(None, "on Friday"), Text(None, "at noon")))),
    # One string wrapping the whole query, as Graph's docs write $search, is still unwrapped.
    ('"lunch OR pizza"', AnyOf(words("lunch", "pizza"))),
    ('"\\"lunch\\" OR \\"pizza\\""', AnyOf((Text(None, "lunch"), Text(None, "pizza")))),
])
def test_two_quoted_phrases_are_two_phrases_not_one_wrapped_query(text: str, node: SearchNode) -> None:
    assert parse_search(text) == node


def test_up_to_the_term_limit_a_search_is_read() -> None:
    node = parse_search(" ".join(["w"] * MAX_TERMS))
    assert node == All(words(*["w"] * MAX_TERMS))


@pytest.mark.parametrize(("text", "position", "query"), [
    ("", 0, ""),
    ("   ", 0, ""),
    ('""', 0, ""),
    ('"', 0, '"'),
    ("(pizza", 6, "(pizza"),
    ("pizza)", 5, "pizza)"),
    ("()", 1, "()"),
    ("(a OR b", 7, "(a OR b"),
    ("lunch AND", 9, "lunch AND"),
    ("lunch OR", 8, "lunch OR"),
    ("NOT", 3, "NOT"),
    ("-", 1, "-"),
    ('subject:"on Friday', 8, 'subject:"on Friday'),
    ('lunch \\"on', 6, 'lunch \\"on'),
])
def test_kql_that_cannot_be_read_is_an_invalid_url_query(text: str, position: int, query: str) -> None:
    assert refusal(lambda: parse_search(text)) == (
        InvalidUrlQuery, "ErrorInvalidUrlQuery", f"Syntax error in $search at position {position} in '{query}'.")


@pytest.mark.parametrize("text", [" ".join(["w"] * (MAX_TERMS + 1)), " OR ".join(["w"] * (MAX_TERMS + 1)),
                                  "(" + " ".join([f'"{n}"' for n in range(MAX_TERMS + 1)]) + ")"])
def test_more_terms_than_the_limit_are_refused(text: str) -> None:
    assert refusal(lambda: parse_search(text)) == (
        InvalidUrlQuery, "ErrorInvalidUrlQuery", f"The $search query has more than {MAX_TERMS} terms.")


def test_up_to_the_nesting_limit_a_search_is_read() -> None:
    assert parse_search("(" * MAX_DEPTH + "pizza" + ")" * MAX_DEPTH) == Text(None, "pizza")
    node: SearchNode = Text(None, "pizza")
    for _ in range(MAX_DEPTH):
        node = Exclude(node)
    assert parse_search("NOT " * MAX_DEPTH + "pizza") == node


@pytest.mark.parametrize("text", [
    "NOT " * (MAX_DEPTH + 1) + "pizza", "-" * (MAX_DEPTH + 1) + "pizza", "NOT " * 300 + "pizza",
    "(" * (MAX_DEPTH + 1) + "pizza" + ")" * (MAX_DEPTH + 1), "(" * 236 + "pizza" + ")" * 236,
    "(a OR (b " * 10 + "pizza" + "))" * 10, "NOT (" * MAX_DEPTH + "pizza" + ")" * MAX_DEPTH,
])
def test_past_the_nesting_limit_a_search_is_refused(text: str) -> None:
    assert refusal(lambda: parse_search(text)) == (
        InvalidUrlQuery, "ErrorInvalidUrlQuery", f"The $search query is nested more than {MAX_DEPTH} levels deep.")


def test_a_search_longer_than_kql_takes_is_refused() -> None:
    assert parse_search("x" * MAX_SEARCH_LENGTH) == Text(None, "x" * MAX_SEARCH_LENGTH)
    for text in ("x" * (MAX_SEARCH_LENGTH + 1), '"' + "x" * MAX_SEARCH_LENGTH + '"', "x" * 50_000):
        assert refusal(lambda: parse_search(text)) == (InvalidUrlQuery, "ErrorInvalidUrlQuery",
                                                       f"The $search query is longer than {MAX_SEARCH_LENGTH} characters.")
