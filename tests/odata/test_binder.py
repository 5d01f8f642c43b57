"""bind_filter, bind_orderby and bind_select against the message entity: properties resolved in
any case to Graph's spelling, literals checked against their property's type, and the two kinds of
refusal Exchange gives (RequestBroker--ParseUri for what its URI parser cannot bind,
ErrorInvalidUrlQueryFilter for valid OData it cannot evaluate)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from graphpost.errors import InefficientFilter, InvalidQuery, InvalidUrlQuery, RestrictionTooComplex, UnsupportedFilter
from graphpost.odata.binder import MAX_COMPARISONS, bind_filter, bind_orderby, bind_select
from graphpost.odata.limits import MAX_PATTERN_LENGTH
from graphpost.odata.entities import (FLAG_STATUS, IMPORTANCE, INFERENCE_CLASSIFICATION, MAIL_FOLDER, MESSAGE,
                                      MESSAGE_TYPE)
from graphpost.odata.parser import parse_filter, parse_orderby, parse_select
from graphpost.odata.query import (AllOf, AnyElement, AnyOf, Compare, Condition, Element, Function, Negation,
                                   Property, SortKey)
from graphpost.odata.types import BOOLEAN, DATETIME, STRING, collection
from tests.odata.refusals import INVALID_NODES, INVALID_NODES_MESSAGE, PARSE_URI, refusal

UTC = timezone.utc
SUBJECT = Property("subject", STRING)
IS_READ = Property("isRead", BOOLEAN)
IS_DRAFT = Property("isDraft", BOOLEAN)
IMPORTANCE_ = Property("importance", IMPORTANCE)
RECEIVED = Property("receivedDateTime", DATETIME)
FROM_ADDRESS = Property("from/emailAddress/address", STRING)
CATEGORIES = Property("categories", collection(STRING))
CATEGORY = Element(STRING)


def bind(text: str) -> Condition:
    return bind_filter(parse_filter(text), MESSAGE)


@pytest.mark.parametrize(("text", "condition"), [
    ("isRead eq false", Compare("eq", IS_READ, False)),
    ("IsRead EQ TRUE", Compare("eq", IS_READ, True)),
    # A boolean property alone is a comparison with true.
    ("isDraft", Compare("eq", IS_DRAFT, True)),
    ("not isRead", Negation(Compare("eq", IS_READ, True))),
    ("isRead eq true and isDraft eq false", AllOf((Compare("eq", IS_READ, True), Compare("eq", IS_DRAFT, False)))),
    ("isRead or isDraft or hasAttachments",
     AnyOf((Compare("eq", IS_READ, True), Compare("eq", IS_DRAFT, True),
            Compare("eq", Property("hasAttachments", BOOLEAN), True)))),
    ("not (importance eq 'high') and isRead eq false",
     AllOf((Negation(Compare("eq", IMPORTANCE_, "high")), Compare("eq", IS_READ, False)))),
    ("isRead or isDraft and subject eq 'x'",
     AnyOf((Compare("eq", IS_READ, True), AllOf((Compare("eq", IS_DRAFT, True), Compare("eq", SUBJECT, "x")))))),
    ("subject eq 'it''s'", Compare("eq", SUBJECT, "it's")),
    ("Subject ne 'Lunch'", Compare("ne", SUBJECT, "Lunch")),
    ("subject ge 'm'", Compare("ge", SUBJECT, "m")),
    ("subject eq null", Compare("eq", SUBJECT, None)),
    ("sentDateTime ne null", Compare("ne", Property("sentDateTime", DATETIME), None)),
    ("id eq 'AAMkAGI2'", Compare("eq", Property("id", STRING), "AAMkAGI2")),
])
def test_a_filter_binds_to_conditions_on_properties_in_graphs_spelling(text: str, condition: Condition) -> None:
    assert bind(text) == condition


@pytest.mark.parametrize(("text", "condition"), [
    ("importance eq 'high'", Compare("eq", IMPORTANCE_, "high")),
    ("importance ne 'LOW'", Compare("ne", IMPORTANCE_, "low")),
    ("inferenceClassification eq 'Focused'",
     Compare("eq", Property("inferenceClassification", INFERENCE_CLASSIFICATION), "focused")),
    ("flag/flagStatus eq 'notflagged'", Compare("eq", Property("flag/flagStatus", FLAG_STATUS), "notFlagged")),
])
def test_enumeration_values_are_read_in_any_case_into_graphs_spelling(text: str, condition: Condition) -> None:
    assert bind(text) == condition


@pytest.mark.parametrize(("text", "condition"), [
    ("receivedDateTime ge 2026-03-02T12:00:00Z", Compare("ge", RECEIVED, datetime(2026, 3, 2, 12, tzinfo=UTC))),
    ("receivedDateTime lt 2026-03-02T13:00:00+01:00", Compare("lt", RECEIVED, datetime(2026, 3, 2, 12, tzinfo=UTC))),
    # A date alone is its midnight in UTC.
    ("receivedDateTime ge 2026-03-02", Compare("ge", RECEIVED, datetime(2026, 3, 2, tzinfo=UTC))),
    ("createdDateTime le 2026-03-02T07:00:00-05:00",
     Compare("le", Property("createdDateTime", DATETIME), datetime(2026, 3, 2, 12, tzinfo=UTC))),
])
def test_times_are_compared_in_utc(text: str, condition: Condition) -> None:
    assert bind(text) == condition


@pytest.mark.parametrize(("text", "condition"), [
    ("'Draft plan' eq subject", Compare("eq", SUBJECT, "Draft plan")),
    ("'m' ne subject", Compare("ne", SUBJECT, "m")),
    ("2026-03-01T00:00:00Z lt receivedDateTime", Compare("gt", RECEIVED, datetime(2026, 3, 1, tzinfo=UTC))),
    ("2026-03-01T00:00:00Z le receivedDateTime", Compare("ge", RECEIVED, datetime(2026, 3, 1, tzinfo=UTC))),
    ("2026-03-01T00:00:00Z gt receivedDateTime", Compare("lt", RECEIVED, datetime(2026, 3, 1, tzinfo=UTC))),
    ("2026-03-01T00:00:00Z ge receivedDateTime", Compare("le", RECEIVED, datetime(2026, 3, 1, tzinfo=UTC))),
    ("null eq subject", Compare("eq", SUBJECT, None)),
])
def test_a_literal_on_the_left_is_turned_round_with_its_operator(text: str, condition: Condition) -> None:
    assert bind(text) == condition


@pytest.mark.parametrize(("text", "condition"), [
    ("from/emailAddress/address eq 'BOB@contoso.test'", Compare("eq", FROM_ADDRESS, "BOB@contoso.test")),
    ("FROM/EmailAddress/ADDRESS ne 'x'", Compare("ne", FROM_ADDRESS, "x")),
    ("from/emailAddress/address eq null", Compare("eq", FROM_ADDRESS, None)),
    ("sender/emailAddress/name eq 'Carol'", Compare("eq", Property("sender/emailAddress/name", STRING), "Carol")),
])
def test_property_paths_resolve_through_complex_types(text: str, condition: Condition) -> None:
    assert bind(text) == condition


@pytest.mark.parametrize(("text", "condition"), [
    ("startswith(subject,'re:')", Function("startswith", SUBJECT, "re:")),
    ("CONTAINS(Subject,'LUNCH')", Function("contains", SUBJECT, "LUNCH")),
    ("startswith(from/emailAddress/address,'car')", Function("startswith", FROM_ADDRESS, "car")),
    ("not contains(subject,'x')", Negation(Function("contains", SUBJECT, "x"))),
    ("startswith(subject,'%') or contains(subject,'_')",
     AnyOf((Function("startswith", SUBJECT, "%"), Function("contains", SUBJECT, "_")))),
])
def test_startswith_and_contains_are_functions_on_a_string_property(text: str, condition: Condition) -> None:
    assert bind(text) == condition


@pytest.mark.parametrize(("text", "condition"), [
    ("categories/any()", AnyElement(CATEGORIES, None)),
    ("not categories/any()", Negation(AnyElement(CATEGORIES, None))),
    ("categories/any(c: c eq 'Red')", AnyElement(CATEGORIES, Compare("eq", CATEGORY, "Red"))),
    ("Categories/ANY(x: 'Red' eq x)", AnyElement(CATEGORIES, Compare("eq", CATEGORY, "Red"))),
    ("categories/any(c: startswith(c,'bl') or c eq 'Green')",
     AnyElement(CATEGORIES, AnyOf((Function("startswith", CATEGORY, "bl"), Compare("eq", CATEGORY, "Green"))))),
    ("categories/any(c: c ne 'Red') and isRead",
     AllOf((AnyElement(CATEGORIES, Compare("ne", CATEGORY, "Red")), Compare("eq", IS_READ, True)))),
    # A range variable named like a property is the element, not the property.
    ("categories/any(subject: subject eq 'Red')", AnyElement(CATEGORIES, Compare("eq", CATEGORY, "Red"))),
])
def test_any_binds_its_range_variable_to_the_elements_of_the_collection(text: str, condition: Condition) -> None:
    assert bind(text) == condition


@pytest.mark.parametrize(("text", "message"), [
    ("isJunk ne true", "Could not find a property named 'isJunk' on type 'microsoft.graph.message'."),
    ("from/emailAddress/phone eq 'x'",
     "Could not find a property named 'phone' on type 'microsoft.graph.emailAddress'."),
    ("subject/length eq 1", "Could not find a property named 'length' on type 'Edm.String'."),
    ("toRecipients/emailAddress/address eq 'x'",
     "The parent value for a property access of a property 'emailAddress' is not a single value. Property access "
     "can only be applied to a single value."),
    ("toRecipients/any(r: r/emailAddress/phone eq 'x')",
     "Could not find a property named 'phone' on type 'microsoft.graph.emailAddress'."),
    ("categories/any(c: d eq 'x')", "Could not find a property named 'd' on type 'microsoft.graph.message'."),
    # Names are resolved before anything is refused as unsupported.
    ("endswith(isJunk,'x')", "Could not find a property named 'isJunk' on type 'microsoft.graph.message'."),
    ("length(isJunk) gt 3", "Could not find a property named 'isJunk' on type 'microsoft.graph.message'."),
    ("subject in ('a', isJunk)", "Could not find a property named 'isJunk' on type 'microsoft.graph.message'."),
    ("isJunk eq subject", "Could not find a property named 'isJunk' on type 'microsoft.graph.message'."),
    ("isJunk and nope(subject)", "Could not find a property named 'isJunk' on type 'microsoft.graph.message'."),
])
def test_a_property_that_does_not_exist_is_named_with_its_type(text: str, message: str) -> None:
    assert refusal(lambda: bind(text)) == (InvalidQuery, PARSE_URI, message)


UNKNOWN_FUNCTION = ("An unknown function with name '{}' was found. This may also be a function import or a key "
                    "lookup on a navigation property, which is not allowed.")


@pytest.mark.parametrize(("text", "name"), [
    ("shout(subject) eq 'X'", "shout"),
    ("shout(subject)", "shout"),
    ("Shout(subject)", "Shout"),
    ("not shout(subject)", "shout"),
    ("isRead and nope(subject)", "nope"),
    ("has(subject)", "has"),
    ("contains(shout(subject),'x')", "shout"),
])
def test_a_function_odata_does_not_know_is_named(text: str, name: str) -> None:
    assert refusal(lambda: bind(text)) == (InvalidQuery, PARSE_URI, UNKNOWN_FUNCTION.format(name))


def incompatible(left: str, right: str, operator: str) -> str:
    return (f"A binary operator with incompatible types was detected. Found operand types '{left}' and '{right}' "
            f"for operator kind '{operator}'.")


@pytest.mark.parametrize(("text", "message"), [
    ("isRead eq 'yes'", incompatible("Edm.Boolean", "Edm.String", "Equal")),
    ("isRead eq 1", incompatible("Edm.Boolean", "Edm.Int32", "Equal")),
    ("hasAttachments ne 2147483648", incompatible("Edm.Boolean", "Edm.Int64", "NotEqual")),
    ("isRead eq 1.5", incompatible("Edm.Boolean", "Edm.Decimal", "Equal")),
    ("subject gt 5", incompatible("Edm.String", "Edm.Int32", "GreaterThan")),
    ("5 lt subject", incompatible("Edm.Int32", "Edm.String", "LessThan")),
    ("subject eq 12345678-1234-1234-1234-123456789abc", incompatible("Edm.String", "Edm.Guid", "Equal")),
    ("subject le 2026-03-02", incompatible("Edm.String", "Edm.Date", "LessThanOrEqual")),
    ("receivedDateTime ge 'yesterday'", incompatible("Edm.DateTimeOffset", "Edm.String", "GreaterThanOrEqual")),
    ("receivedDateTime lt true", incompatible("Edm.DateTimeOffset", "Edm.Boolean", "LessThan")),
    ("importance eq 1", incompatible("microsoft.graph.importance", "Edm.Int32", "Equal")),
    ("from eq 'bob@contoso.test'", incompatible("microsoft.graph.recipient", "Edm.String", "Equal")),
    ("from/emailAddress eq 'x'", incompatible("microsoft.graph.emailAddress", "Edm.String", "Equal")),
    ("categories/any(c: c eq 5)", incompatible("Edm.String", "Edm.Int32", "Equal")),
    # The types are checked before all() is refused.
    ("categories/all(c: c eq 5)", incompatible("Edm.String", "Edm.Int32", "Equal")),
    ("'x' and isRead", incompatible("Edm.String", "Edm.Boolean", "And")),
    ("isRead or 5", incompatible("Edm.Int32", "Edm.Boolean", "Or")),
])
def test_a_literal_of_another_type_is_an_incompatible_types_error(text: str, message: str) -> None:
    assert refusal(lambda: bind(text)) == (InvalidQuery, PARSE_URI, message)


def no_signature(name: str) -> str:
    return (f"No function signature for the function with name '{name}' matches the specified arguments. The "
            f"function signatures considered are: {name}(Edm.String Nullable=true, Edm.String Nullable=true).")


@pytest.mark.parametrize(("text", "message"), [
    ("importance eq 'urgent'", "The string 'urgent' is not a valid enumeration type constant."),
    ("flag/flagStatus ne 'done'", "The string 'done' is not a valid enumeration type constant."),
    ("subject", "The $filter expression must evaluate to a single boolean value."),
    ("from/emailAddress/address", "The $filter expression must evaluate to a single boolean value."),
    ("categories/any(c: c)", "The $filter expression must evaluate to a single boolean value."),
    ("'x'", "The $filter expression must evaluate to a single boolean value."),
    ("42", "The $filter expression must evaluate to a single boolean value."),
    ("null", "The $filter expression must evaluate to a single boolean value."),
    ("not 'x'", "A unary operator with an incompatible type was detected. Found operand type 'Edm.String' for "
                "operator kind 'Not'."),
    ("not 2", "A unary operator with an incompatible type was detected. Found operand type 'Edm.Int32' for "
              "operator kind 'Not'."),
    ("subject/any()", "Any/All may only be used following a collection."),
    ("from/any(r: r eq 'x')", "Any/All may only be used following a collection."),
    ("contains(importance,'h')", no_signature("contains")),
    ("startswith(subject)", no_signature("startswith")),
    ("contains(subject,'a','b')", no_signature("contains")),
    ("startswith(subject,5)", no_signature("startswith")),
])
def test_what_the_uri_parser_cannot_bind_is_a_parse_uri_error(text: str, message: str) -> None:
    assert refusal(lambda: bind(text)) == (InvalidQuery, PARSE_URI, message)


@pytest.mark.parametrize("text", [
    "endswith(subject,'x')",
    "length(subject) gt 3",
    "tolower(subject) eq 'x'",
    "contains(subject,'x') eq true",
    "contains('x', subject)",
    "bccRecipients/any(r: r/emailAddress/address eq 'x')",
    "toRecipients/any()",
    "categories/all(c: c eq 'Red')",
    "attachments/any()",
    "subject in ('a','b')",
    "isRead has 'x'",
    "subject eq subject",
    "'a' eq 'a'",
    "true",
    "- isRead",
    "receivedDateTime add 1 gt 2",
    # Properties Graph has but cannot filter on.
    "webLink eq 'x'",
    "body/content eq 'x'",
    "toRecipients/any(r: r/emailAddress/address eq 'x')",
    "conversationIndex eq null",
    # Operators the property's type does not order by.
    "isRead gt false",
    "importance gt 'low'",
    "flag/flagStatus le 'flagged'",
    "subject gt null",
])
def test_valid_odata_exchange_cannot_evaluate_is_an_invalid_nodes_error(text: str) -> None:
    assert refusal(lambda: bind(text)) == (UnsupportedFilter, INVALID_NODES, INVALID_NODES_MESSAGE)


def test_up_to_the_comparison_limit_a_filter_is_bound() -> None:
    condition = bind(" or ".join([f"subject eq '{n}'" for n in range(MAX_COMPARISONS)]))
    assert isinstance(condition, AnyOf)
    assert condition.conditions[-1] == Compare("eq", SUBJECT, str(MAX_COMPARISONS - 1))
    assert len(condition.conditions) == MAX_COMPARISONS


@pytest.mark.parametrize("text", [
    " or ".join(["isRead eq true"] * (MAX_COMPARISONS + 1)),
    " and ".join(["isRead"] * (MAX_COMPARISONS + 1)),
    "isRead and (" + " or ".join(["contains(subject,'x')"] * MAX_COMPARISONS) + ")",
])
def test_past_the_comparison_limit_a_filter_is_too_complex(text: str) -> None:
    assert refusal(lambda: bind(text)) == (
        InefficientFilter, "InefficientFilter", "The restriction or sort order is too complex for this operation.")


def test_an_enumeration_value_may_be_written_with_its_type_name() -> None:
    assert bind("importance eq microsoft.graph.importance'high'") == Compare("eq", IMPORTANCE_, "high")


@pytest.mark.parametrize(("text", "condition"), [
    ("importance ne Microsoft.Graph.Importance'LOW'", Compare("ne", IMPORTANCE_, "low")),
    ("microsoft.graph.importance'high' eq importance", Compare("eq", IMPORTANCE_, "high")),
    ("flag/flagStatus eq microsoft.graph.followupFlagStatus'flagged'",
     Compare("eq", Property("flag/flagStatus", FLAG_STATUS), "flagged")),
])
def test_a_typed_enumeration_value_is_read_in_any_case_like_a_string(text: str, condition: Condition) -> None:
    assert bind(text) == condition


@pytest.mark.parametrize(("text", "message"), [
    # As ODL does, the literal is named as written.
    ("importance eq microsoft.graph.importance'bogus'",
     "The string 'microsoft.graph.importance'bogus'' is not a valid enumeration type constant."),
    ("importance eq microsoft.graph.bodyType'html'",
     "The string 'microsoft.graph.bodyType'html'' is not a valid enumeration type constant."),
    ("subject eq microsoft.graph.importance'high'",
     incompatible("Edm.String", "microsoft.graph.importance", "Equal")),
    ("id eq deadbeef-1234-1234-1234-123456789abc", incompatible("Edm.String", "Edm.Guid", "Equal")),
    # ODL wants the quote right after the type name.
    ("importance eq microsoft.graph.importance 'high'",
     "Syntax error at position 41 in 'importance eq microsoft.graph.importance 'high''."),
])
def test_a_typed_enumeration_value_of_another_type_or_member_is_refused(text: str, message: str) -> None:
    assert refusal(lambda: bind(text)) == (InvalidQuery, PARSE_URI, message)


# -- $orderby ---------------------------------------------------------------------------------------

def order(text: str) -> tuple[SortKey, ...]:
    return bind_orderby(parse_orderby(text), MESSAGE)


@pytest.mark.parametrize(("text", "keys"), [
    ("subject", (SortKey("subject", STRING, False),)),
    ("Subject DESC", (SortKey("subject", STRING, True),)),
    ("receivedDateTime desc, subject asc", (SortKey("receivedDateTime", DATETIME, True),
                                            SortKey("subject", STRING, False))),
    ("importance desc,isread,From/EmailAddress/Address",
     (SortKey("importance", IMPORTANCE, True), SortKey("isRead", BOOLEAN, False),
      SortKey("from/emailAddress/address", STRING, False))),
    ("flag/flagStatus desc", (SortKey("flag/flagStatus", FLAG_STATUS, True),)),
])
def test_orderby_binds_to_sort_keys_in_graphs_spelling(text: str, keys: tuple[SortKey, ...]) -> None:
    assert order(text) == keys


@pytest.mark.parametrize("text", ["body", "from", "sender/emailAddress", "flag", "categories", "toRecipients",
                                  "uniqueBody", "attachments", "Extensions desc"])
def test_orderby_on_a_complex_collection_or_navigation_property_is_refused(text: str) -> None:
    assert refusal(lambda: order(text)) == (
        InvalidQuery, PARSE_URI, "The $orderby expression must evaluate to a single value of primitive type.")


def test_orderby_on_a_property_that_does_not_exist_names_it() -> None:
    assert refusal(lambda: order("subject, nope desc")) == (
        InvalidQuery, PARSE_URI, "Could not find a property named 'nope' on type 'microsoft.graph.message'.")


@pytest.mark.parametrize(("text", "path"), [("webLink", "webLink"), ("conversationIndex desc", "conversationIndex"),
                                            ("subject,Body/Content", "body/content")])
def test_orderby_on_a_property_exchange_cannot_sort_by_is_refused(text: str, path: str) -> None:
    assert refusal(lambda: order(text)) == (
        InvalidUrlQuery, "ErrorInvalidUrlQuery", f"The property '{path}' cannot be used in $orderby.")


# -- $select ----------------------------------------------------------------------------------------

def select(text: str) -> tuple[str, ...]:
    return bind_select(parse_select(text), MESSAGE)


@pytest.mark.parametrize(("text", "chosen"), [
    ("subject", ("subject",)),
    ("Subject,FROM,isread", ("subject", "from", "isRead")),
    ("subject,SUBJECT,subject", ("subject",)),
    ("from/emailAddress/address,sender", ("from", "sender")),
    ("uniqueBody,internetMessageHeaders", ("uniqueBody", "internetMessageHeaders")),
    # Navigation properties are accepted and give nothing back.
    ("attachments,subject,Extensions", ("subject",)),
    ("attachments", ()),
])
def test_select_names_properties_in_any_case_once_each_in_the_order_given(text: str, chosen: tuple[str, ...]) -> None:
    assert select(text) == chosen


def test_star_is_every_default_property_without_the_select_only_ones() -> None:
    chosen = select("*")
    assert chosen == MESSAGE.default_select
    assert chosen == tuple(name for name in MESSAGE_TYPE.properties
                           if name not in ("uniqueBody", "internetMessageHeaders"))


def test_star_after_a_property_keeps_that_property_first() -> None:
    chosen = select("body,*,uniqueBody")
    assert chosen[0] == "body" and chosen[-1] == "uniqueBody"
    assert set(chosen) == set(MESSAGE.default_select) | {"uniqueBody"}
    assert len(chosen) == len(MESSAGE.default_select) + 1


@pytest.mark.parametrize(("text", "name"), [("isJunk", "isJunk"), ("subject,IsJunk", "IsJunk"),
                                            ("displayName", "displayName"), ("phone/number", "phone")])
def test_select_of_an_unknown_property_names_it(text: str, name: str) -> None:
    assert refusal(lambda: select(text)) == (
        InvalidQuery, PARSE_URI, f"Could not find a property named '{name}' on type 'microsoft.graph.message'.")


def test_select_binds_against_the_entity_it_is_given() -> None:
    assert bind_select(parse_select("displayname,childFolders,TotalItemCount"), MAIL_FOLDER) == (
        "displayName", "totalItemCount")
    assert refusal(lambda: bind_select(parse_select("subject"), MAIL_FOLDER)) == (
        InvalidQuery, PARSE_URI, "Could not find a property named 'subject' on type 'microsoft.graph.mailFolder'.")


def test_a_pattern_longer_than_a_like_takes_is_too_complex() -> None:
    # SQLite refuses a LIKE pattern past 50,000 bytes; the bound keeps every pattern under it.
    longest = "\U0001F600" * MAX_PATTERN_LENGTH
    assert bind(f"contains(subject,'{longest}')") == Function("contains", SUBJECT, longest)
    for text in (f"contains(subject,'{'x' * (MAX_PATTERN_LENGTH + 1)}')",
                 f"startswith(from/emailAddress/address,'{'_' * (MAX_PATTERN_LENGTH + 1)}')",
                 f"categories/any(c:contains(c,'{'x' * 49_999}'))"):
        assert refusal(lambda: bind(text)) == (
            RestrictionTooComplex, "ErrorRestrictionTooComplex",
            "The restriction or sort order is too complex for this operation.")
    # Compared whole, not as a pattern: no bound but the query string's.
    assert bind(f"subject eq '{'x' * 60_000}'") == Compare("eq", SUBJECT, "x" * 60_000)


@pytest.mark.parametrize("text", [
    "categories/any(c:categories/any(d:d eq 'x'))",
    "categories/any(c:c eq 'x' or categories/any())",
])
def test_a_lambda_within_a_lambda_is_an_invalid_nodes_error(text: str) -> None:
    assert refusal(lambda: bind(text)) == (UnsupportedFilter, INVALID_NODES, INVALID_NODES_MESSAGE)
