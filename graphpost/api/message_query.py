"""The OData query options of a message collection read into a CollectionQuery, with Graph's
answers for what it refuses, before anything touches the database."""

from __future__ import annotations

from fastapi import Request

from graphpost.api.paging import count_asked, keyset_of, system_options, top_and_skip
from graphpost.api.prefer import preferences
from graphpost.api.query_options import bound_options
from graphpost.odata.entities import MESSAGE
from graphpost.odata.query import CollectionQuery, SortKey
from graphpost.odata.restrictions import check_search, check_sort_follows_filter
from graphpost.odata.search import parse_search
from graphpost.odata.types import DATETIME

# Newest first, as Graph lists mail; $search results come by the time they were sent
# (learn.microsoft.com/graph/search-query-parameter), at most 1000 of them.
NEWEST_RECEIVED = (SortKey("receivedDateTime", DATETIME, descending=True),)
NEWEST_SENT = (SortKey("sentDateTime", DATETIME, descending=True),)
SEARCH_LIMIT = 1000


def message_query(request: Request) -> CollectionQuery:
    options = system_options(request)
    bound = bound_options(options, MESSAGE)
    select, condition, orderby = bound.select, bound.filter, bound.orderby
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
