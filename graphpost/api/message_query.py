"""The OData query options of a message collection read into a CollectionQuery, with Graph's
answers for what it refuses, before anything touches the database."""

from __future__ import annotations

from fastapi import Request

from graphpost.api.paging import count_asked, keyset_of, system_options, top_and_skip
from graphpost.api.prefer import preferences
from graphpost.odata.binder import bind_filter, bind_orderby, bind_select
from graphpost.odata.entities import MESSAGE
from graphpost.odata.parser import parse_filter, parse_orderby, parse_select
from graphpost.odata.query import CollectionQuery, SortKey
from graphpost.odata.restrictions import check_search, check_sort_follows_filter
from graphpost.odata.search import parse_search
from graphpost.odata.types import DATETIME

# Newest first, as Graph lists mail; $search results come by the time they were sent
# (learn.microsoft.com/graph/search-query-parameter), at most 1000 of them.
NEWEST_RECEIVED = (SortKey("receivedDateTime", DATETIME, descending=True),)
NEWEST_SENT = (SortKey("sentDateTime", DATETIME, descending=True),)
SEARCH_LIMIT = 1000


def message_select(request: Request) -> tuple[str, ...] | None:
    """The properties `$select` names on a GET, in Graph's spelling; None without `$select`."""
    raw = system_options(request).get("$select") if request.method == "GET" else None
    return None if raw is None else bind_select(parse_select(raw), MESSAGE)


def message_query(request: Request) -> CollectionQuery:
    options = system_options(request)
    select = bind_select(parse_select(options["$select"]), MESSAGE) if "$select" in options else None
    condition = bind_filter(parse_filter(options["$filter"]), MESSAGE) if "$filter" in options else None
    orderby = bind_orderby(parse_orderby(options["$orderby"]), MESSAGE) if "$orderby" in options else ()
    search = parse_search(options["$search"]) if "$search" in options else None
    check_search(search is not None, "$filter" in options, "$orderby" in options)
    check_sort_follows_filter(condition, orderby)
    top, skip = top_and_skip(options)
    token = options.get("$skiptoken")
    # Graph leaves @odata.count out with $search and with $top=0 (microsoftgraph/microsoft-graph-
    # docs-contrib#4673 and #3167): so does graphpost, so that code tested here behaves the same there.
    count = count_asked(options) and search is None and top > 0
    return CollectionQuery(
        filter=condition, search=search, orderby=orderby or (NEWEST_SENT if search else NEWEST_RECEIVED),
        top=top, skip=skip, after=keyset_of(token) if token else None, count=count, select=select,
        immutable_ids=preferences(request).immutable_ids, limit=SEARCH_LIMIT if search else None)
