"""What Exchange refuses in the combination of query options on messages: $search beside $filter
or $orderby, and an $orderby that does not lead the $filter (InefficientFilter)."""

from __future__ import annotations

import pytest

from graphpost.errors import GraphError, InefficientFilter, SearchWithFilter, SearchWithOrderBy
from graphpost.odata.binder import bind_filter, bind_orderby
from graphpost.odata.entities import MESSAGE
from graphpost.odata.parser import parse_filter, parse_orderby
from graphpost.odata.restrictions import check_search, check_sort_follows_filter
from tests.odata.refusals import refusal

SEARCH_WITH_FILTER = (SearchWithFilter, "SearchWithFilter",
                      "The query parameter '$filter' is not supported with '$search'.")
SEARCH_WITH_ORDERBY = (SearchWithOrderBy, "SearchWithOrderBy",
                       "The query parameter '$orderBy' is not supported with '$search'.")
INEFFICIENT = (InefficientFilter, "InefficientFilter",
               "The restriction or sort order is too complex for this operation.")


@pytest.mark.parametrize(("has_search", "has_filter", "has_orderby"), [
    (False, False, False), (True, False, False), (False, True, False), (False, False, True), (False, True, True)])
def test_search_alone_and_filter_with_orderby_are_allowed(has_search: bool, has_filter: bool,
                                                          has_orderby: bool) -> None:
    assert check_search(has_search, has_filter, has_orderby) is None


@pytest.mark.parametrize(("has_filter", "has_orderby", "refused"), [
    (True, False, SEARCH_WITH_FILTER),
    (False, True, SEARCH_WITH_ORDERBY),
    # With both, the filter is the one named.
    (True, True, SEARCH_WITH_FILTER),
])
def test_search_beside_filter_or_orderby_is_refused(has_filter: bool, has_orderby: bool,
                                                    refused: tuple[type[GraphError], str, str]) -> None:
    assert refusal(lambda: check_search(True, has_filter, has_orderby)) == refused


def check(filter_text: str | None, orderby_text: str | None) -> None:
    condition = bind_filter(parse_filter(filter_text), MESSAGE) if filter_text is not None else None
    orderby = bind_orderby(parse_orderby(orderby_text), MESSAGE) if orderby_text is not None else ()
    check_sort_follows_filter(condition, orderby)


@pytest.mark.parametrize(("filter_text", "orderby_text"), [
    (None, "receivedDateTime desc"),
    ("isRead eq false", None),
    ("receivedDateTime ge 2026-01-01T00:00:00Z", "receivedDateTime desc"),
    # Sorted properties first, in the same order; others may follow.
    ("receivedDateTime ge 1900-01-01T00:00:00Z and from/emailAddress/address eq 'bob@contoso.test'",
     "receivedDateTime"),
    ("importance ne 'low' and startswith(subject,'q') or isDraft", "importance desc"),
    ("subject eq 'x' and importance eq 'high'", "subject,importance desc"),
    ("Subject eq 'x' and IMPORTANCE eq 'high' and isRead", "subject desc,importance"),
    # A property named again in $filter or in $orderby counts once.
    ("subject eq 'a' or subject eq 'b' and isRead", "subject"),
    ("subject eq 'a' and isRead", "subject,subject desc"),
    # Wherever the property stands in the tree, and however it is compared.
    ("not (subject eq 'x') and isRead", "subject"),
    ("contains(subject,'x') and isRead", "subject,isRead"),
    ("'x' eq subject", "subject"),
])
def test_orderby_leading_the_filter_in_the_same_order_is_allowed(filter_text: str | None,
                                                                 orderby_text: str | None) -> None:
    assert check(filter_text, orderby_text) is None


@pytest.mark.parametrize(("filter_text", "orderby_text"), [
    # Not in the filter at all.
    ("from/emailAddress/address eq 'bob@contoso.test'", "receivedDateTime"),
    ("isRead eq false", "receivedDateTime desc"),
    ("categories/any(c: c eq 'Red')", "subject"),
    # In the filter, but after a property the sort does not name.
    ("isRead eq false and subject eq 'x'", "subject"),
    ("categories/any() and subject eq 'x'", "subject"),
    # In the filter, but in another order.
    ("subject eq 'x' and importance eq 'high'", "importance,subject"),
    # More sort keys than filtered properties.
    ("subject eq 'x'", "subject,importance"),
])
def test_orderby_not_leading_the_filter_is_an_inefficient_filter(filter_text: str, orderby_text: str) -> None:
    assert refusal(lambda: check(filter_text, orderby_text)) == INEFFICIENT
