"""The typed query: the properties a filter names, in order (for the $orderby rule), and the size of
a page, capped for $search."""

from __future__ import annotations

import pytest

from graphpost.odata.binder import bind_filter
from graphpost.odata.entities import MESSAGE
from graphpost.odata.parser import parse_filter
from graphpost.odata.query import CollectionQuery, Keyset, properties_in_order


@pytest.mark.parametrize(("text", "paths"), [
    ("isRead", ["isRead"]),
    ("receivedDateTime ge 2026-01-01 and from/emailAddress/address eq 'x' or isRead",
     ["receivedDateTime", "from/emailAddress/address", "isRead"]),
    ("subject eq 'a' or isRead or subject eq 'b'", ["subject", "isRead"]),
    ("not (importance eq 'high') and startswith(Subject,'x')", ["importance", "subject"]),
    ("categories/any(c: c eq 'Red') and isDraft", ["categories", "isDraft"]),
    ("'x' eq subject", ["subject"]),
])
def test_properties_in_order_are_the_filtered_paths_each_once_as_first_written(text: str, paths: list[str]) -> None:
    assert properties_in_order(bind_filter(parse_filter(text), MESSAGE)) == paths


def test_no_filter_names_no_property() -> None:
    assert properties_in_order(None) == []


@pytest.mark.parametrize(("query", "page_size"), [
    (CollectionQuery(top=10), 10),
    (CollectionQuery(top=0), 0),
    (CollectionQuery(top=25, skip=2000), 25),
    # $search's cap counts the rows already served, by $skip or by the keyset.
    (CollectionQuery(top=999, limit=1000), 999),
    (CollectionQuery(top=999, skip=990, limit=1000), 10),
    (CollectionQuery(top=10, skip=1000, limit=1000), 0),
    (CollectionQuery(top=10, skip=5000, limit=1000), 0),
    (CollectionQuery(top=999, skip=3, after=Keyset(("x",), served=999), limit=1000), 1),
])
def test_a_page_is_top_rows_within_what_the_limit_leaves(query: CollectionQuery, page_size: int) -> None:
    assert (query.page_size, query.fetch) == (page_size, page_size + 1)
