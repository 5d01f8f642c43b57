"""The OData query options of a mail folder collection (…/mailFolders, …/childFolders) read into a
CollectionQuery, with Graph's answers for what it refuses before anything touches the database;
and the answer's body, paged by offset: Graph's nextLink for folders carries `$skip`
(microsoftgraph/microsoft-graph-docs-contrib#9037), not a `$skiptoken` as for messages."""

from __future__ import annotations

from typing import Any, Sequence

from fastapi import Request

from graphpost.api.paging import count_asked, system_options, top_and_skip, url_with
from graphpost.api.query_options import bound_options
from graphpost.mail.types import FolderPage
from graphpost.odata.entities import MAIL_FOLDER
from graphpost.odata.query import CollectionQuery, SortKey
from graphpost.odata.types import STRING

# Graph lists folders by name (microsoftgraph/microsoft-graph-explorer-v4#2415 shows a list), 10 to a
# page (microsoftgraph/microsoft-graph-docs-contrib#9037, microsoftgraph/microsoft-graph-docs#7653).
# That the name is compared without regard to case, as Exchange compares names, is assumed.
BY_NAME = (SortKey("displayName", STRING, descending=False),)


def hidden_folders_asked(request: Request) -> bool:
    # Not an OData option: Graph's own parameter, without `$` on v1.0 and beta alike.
    return request.query_params.get("includeHiddenFolders", "").lower() == "true"


def folder_query(request: Request) -> CollectionQuery:
    options = system_options(request)
    bound = bound_options(options, MAIL_FOLDER)
    # $top up to 1000, as on messages; for folders only a third party's docs say so (softproject's
    # ListMailFolders adapter), Graph's own leave "the maximum depends on the API".
    top, skip = top_and_skip(options)
    # Unconfirmed for folders, taken from messages (the same Exchange layer answers both): no
    # @odata.count with $top=0 (microsoftgraph/microsoft-graph-docs-contrib#3167). Nor is Exchange's
    # rule that $orderby properties lead the $filter (InefficientFilter) applied: it is documented
    # for messages only, and a folder's children are few.
    count = count_asked(options) and top > 0
    return CollectionQuery(filter=bound.filter, orderby=bound.orderby or BY_NAME, top=top, skip=skip, count=count,
                           select=bound.select)


def next_link(request: Request, query: CollectionQuery) -> str:
    """The request's own URL with $top and $skip replaced by those of the next page."""
    return url_with(request, ("$top", "$skip"), [("$top", str(query.top)), ("$skip", str(query.skip + query.top))])


def folder_collection(request: Request, context: str, items: Sequence[dict[str, Any]], query: CollectionQuery,
                      page: FolderPage) -> dict[str, Any]:
    body: dict[str, Any] = {"@odata.context": context}
    if page.count is not None:
        body["@odata.count"] = page.count
    body["value"] = list(items)
    if page.more:
        body["@odata.nextLink"] = next_link(request, query)
    return body
