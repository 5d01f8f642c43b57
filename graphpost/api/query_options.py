"""The OData options every collection of the mail API binds the same way, whatever its entity:
`$select`, `$filter` and `$orderby` read and bound to the entity's type (odata/), with Graph's 400s
for what cannot be. Messages and folders add their own rules (api/message_query.py,
api/folder_query.py)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from graphpost.api.paging import system_options
from graphpost.odata.binder import bind_filter, bind_orderby, bind_select
from graphpost.odata.parser import parse_filter, parse_orderby, parse_select
from graphpost.odata.query import Condition, SortKey
from graphpost.odata.types import EntityType


@dataclass(frozen=True)
class BoundOptions:
    select: tuple[str, ...] | None
    filter: Condition | None
    orderby: tuple[SortKey, ...]


def bound_options(options: dict[str, str], entity: EntityType) -> BoundOptions:
    return BoundOptions(
        select=bind_select(parse_select(options["$select"]), entity) if "$select" in options else None,
        filter=bind_filter(parse_filter(options["$filter"]), entity) if "$filter" in options else None,
        orderby=bind_orderby(parse_orderby(options["$orderby"]), entity) if "$orderby" in options else ())


def requested_select(request: Request, entity: EntityType) -> tuple[str, ...] | None:
    """The properties `$select` names on a GET of one item, in Graph's spelling; None without it
    (and on a POST or PATCH, which answer the whole item)."""
    raw = system_options(request).get("$select") if request.method == "GET" else None
    return None if raw is None else bind_select(parse_select(raw), entity)
