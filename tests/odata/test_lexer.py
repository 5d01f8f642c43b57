"""tokenize: the tokens of an OData expression, each literal with its value, and Graph's URI parser
errors for text it cannot read."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

import pytest

from graphpost.errors import InvalidQuery
from graphpost.odata.ast import EnumValue
from graphpost.odata.lexer import Token, tokenize
from tests.odata.refusals import PARSE_URI, refusal

UTC = timezone.utc


def only_token(text: str) -> Token:
    """The one token `text` is read as (besides the end)."""
    tokens = tokenize(text)
    assert [token.kind for token in tokens[1:]] == ["end"], tokens
    return tokens[0]


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("'welcome'", "string", "welcome"),
    ("'it''s'", "string", "it's"),
    ("''''", "string", "'"),
    ("''", "string", ""),
    ("'two  spaces, a comma and (parens)'", "string", "two  spaces, a comma and (parens)"),
    ("'eq and or'", "string", "eq and or"),
    ("42", "integer", 42),
    ("0", "integer", 0),
    ("-42", "integer", -42),
    ("99999999999999999999", "integer", 99999999999999999999),
    ("1.5", "decimal", Decimal("1.5")),
    ("-0.25", "decimal", Decimal("-0.25")),
    ("1e5", "decimal", Decimal("1e5")),
    ("2.5E-3", "decimal", Decimal("0.0025")),
    ("true", "boolean", True),
    ("false", "boolean", False),
    ("TRUE", "boolean", True),
    ("False", "boolean", False),
    ("null", "null", None),
    ("NULL", "null", None),
    ("2026-03-02", "date", date(2026, 3, 2)),
    ("2026-03-02T12:00:00Z", "datetime", datetime(2026, 3, 2, 12, tzinfo=UTC)),
    ("12345678-1234-1234-1234-123456789abc", "guid", "12345678-1234-1234-1234-123456789abc"),
    ("0A1B2C3D-0000-0000-0000-00000000000F", "guid", "0A1B2C3D-0000-0000-0000-00000000000F"),
])
def test_each_literal_is_read_with_its_kind_and_value(text: str, kind: str, value: Any) -> None:
    assert only_token(text) == Token(kind, text, value, 0)


@pytest.mark.parametrize(("text", "utc"), [
    ("2026-03-02T12:00:00Z", datetime(2026, 3, 2, 12, tzinfo=UTC)),
    ("2026-03-02t12:00:00z", datetime(2026, 3, 2, 12, tzinfo=UTC)),
    ("2026-03-02T12:00Z", datetime(2026, 3, 2, 12, tzinfo=UTC)),
    ("2026-03-02T13:00:00+01:00", datetime(2026, 3, 2, 12, tzinfo=UTC)),
    ("2026-03-02T07:00:00-05:00", datetime(2026, 3, 2, 12, tzinfo=UTC)),
    ("2026-03-02T00:30:00+01:00", datetime(2026, 3, 1, 23, 30, tzinfo=UTC)),
    ("2026-03-02T12:00:00.5Z", datetime(2026, 3, 2, 12, 0, 0, 500000, tzinfo=UTC)),
    # Past microseconds the digits are dropped, not rounded.
    ("2026-03-02T12:00:00.1234567Z", datetime(2026, 3, 2, 12, 0, 0, 123456, tzinfo=UTC)),
    # No offset at all: UTC, as Graph keeps every mail time.
    ("2026-03-02T12:00:00", datetime(2026, 3, 2, 12, tzinfo=UTC)),
])
def test_a_datetime_is_read_as_the_same_instant_in_utc(text: str, utc: datetime) -> None:
    token = only_token(text)
    assert (token.kind, token.value, token.value.tzinfo) == ("datetime", utc, UTC)


@pytest.mark.parametrize("word", ["subject", "isRead", "_x1", "$it", "geo.distance", "and", "EQ", "not", "any",
                                  "nullable", "trueish", "falsehood", "anything"])
def test_words_are_identifiers_kept_as_written_even_when_they_begin_with_a_keyword(word: str) -> None:
    assert only_token(word) == Token("identifier", word, word, 0)


def test_a_filter_is_split_into_tokens_with_their_positions() -> None:
    assert tokenize("from/emailAddress/address eq 'bob@contoso.test'") == [
        Token("identifier", "from", "from", 0),
        Token("/", "/", "/", 4),
        Token("identifier", "emailAddress", "emailAddress", 5),
        Token("/", "/", "/", 17),
        Token("identifier", "address", "address", 18),
        Token("identifier", "eq", "eq", 26),
        Token("string", "'bob@contoso.test'", "bob@contoso.test", 29),
        Token("end", "", None, 47),
    ]


def test_punctuation_marks_are_tokens_of_their_own_kind() -> None:
    assert [(token.kind, token.position) for token in tokenize("( ) , : / -")] == [
        ("(", 0), (")", 2), (",", 4), (":", 6), ("/", 8), ("-", 10), ("end", 11)]


def test_a_lambda_and_a_call_are_split_at_every_mark() -> None:
    tokens = tokenize("categories/any(c:startswith(c,'Bl'))")
    assert [(token.kind, token.text) for token in tokens] == [
        ("identifier", "categories"), ("/", "/"), ("identifier", "any"), ("(", "("), ("identifier", "c"), (":", ":"),
        ("identifier", "startswith"), ("(", "("), ("identifier", "c"), (",", ","), ("string", "'Bl'"), (")", ")"),
        (")", ")"), ("end", "")]


def test_a_minus_before_a_digit_is_part_of_the_number_and_otherwise_a_mark() -> None:
    assert [(token.kind, token.value) for token in tokenize("-5 - x")] == [
        ("integer", -5), ("-", "-"), ("identifier", "x"), ("end", None)]


def test_whitespace_of_any_kind_separates_tokens_and_is_dropped() -> None:
    assert [(token.kind, token.value, token.position) for token in tokenize(" a\tand\nb  ")] == [
        ("identifier", "a", 1), ("identifier", "and", 3), ("identifier", "b", 7), ("end", None, 10)]


@pytest.mark.parametrize("text", ["", "   "])
def test_nothing_but_space_is_only_the_end(text: str) -> None:
    assert tokenize(text) == [Token("end", "", None, len(text))]


@pytest.mark.parametrize(("text", "message"), [
    ("subject eq 'x", "There is an unterminated string literal at position 11 in 'subject eq 'x'."),
    ("'it''s", "There is an unterminated string literal at position 0 in ''it''s'."),
    ("subject eq #", "Syntax error: character '#' is not valid at position 11 in 'subject eq #'."),
    ("isRead eq true;", "Syntax error: character ';' is not valid at position 14 in 'isRead eq true;'."),
    ("a*b", "Syntax error: character '*' is not valid at position 1 in 'a*b'."),
    ('subject eq "x"', "Syntax error: character '\"' is not valid at position 11 in 'subject eq \"x\"'."),
    ("5x", "Syntax error at position 0 in '5x'."),
    ("x eq 12abc", "Syntax error at position 5 in 'x eq 12abc'."),
    ("x eq 1.", "Syntax error at position 5 in 'x eq 1.'."),
    ("d eq 2026-02-30", "Unrecognized 'Edm.Date' literal '2026-02-30' at '5' in 'd eq 2026-02-30'."),
    ("receivedDateTime ge 2026-13-01T00:00:00Z",
     "Unrecognized 'Edm.DateTimeOffset' literal '2026-13-01T00:00:00Z' at '20' in "
     "'receivedDateTime ge 2026-13-01T00:00:00Z'."),
    ("2026-03-02T24:00:00Z", "Unrecognized 'Edm.DateTimeOffset' literal '2026-03-02T24:00:00Z' at '0' in "
                             "'2026-03-02T24:00:00Z'."),
    # Valid as written, but past the end of time once turned into UTC.
    ("9999-12-31T23:00:00-05:00", "Unrecognized 'Edm.DateTimeOffset' literal '9999-12-31T23:00:00-05:00' at '0' in "
                                  "'9999-12-31T23:00:00-05:00'."),
])
def test_text_that_cannot_be_read_is_a_parse_uri_error_naming_where(text: str, message: str) -> None:
    assert refusal(lambda: tokenize(text)) == (InvalidQuery, PARSE_URI, message)


@pytest.mark.parametrize("text", ["deadbeef-1234-1234-1234-123456789abc", "ABCDEF01-0000-0000-0000-00000000000F"])
def test_a_guid_that_begins_with_a_hex_letter_is_a_guid(text: str) -> None:
    assert only_token(text) == Token("guid", text, text, 0)


@pytest.mark.parametrize("text", ["deadbeef", "deadbeef-1234"])
def test_a_word_that_only_begins_like_a_guid_is_not_one(text: str) -> None:
    assert tokenize(text)[0].kind == "identifier"


@pytest.mark.parametrize(("text", "value"), [
    ("microsoft.graph.importance'high'", EnumValue("microsoft.graph.importance", "high")),
    ("Microsoft.Graph.Importance'it''s'", EnumValue("Microsoft.Graph.Importance", "it's")),
])
def test_a_qualified_name_right_before_a_quote_is_an_enumeration_literal(text: str, value: EnumValue) -> None:
    assert only_token(text) == Token("enum", text, value, 0)
    assert value.text == text


def test_an_unqualified_name_before_a_quote_is_no_enumeration_literal() -> None:
    assert [token.kind for token in tokenize("importance'high'")] == ["identifier", "string", "end"]
