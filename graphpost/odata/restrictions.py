"""What Exchange refuses in the combination of query options on messages, with Graph's answers."""

from __future__ import annotations

from graphpost.errors import InefficientFilter, SearchWithFilter, SearchWithOrderBy
from graphpost.odata.query import Condition, SortKey, properties_in_order


def check_search(has_search: bool, has_filter: bool, has_orderby: bool) -> None:
    """$search stands alone on messages: no $filter and no $orderby beside it."""
    if has_search and has_filter:
        raise SearchWithFilter()
    if has_search and has_orderby:
        raise SearchWithOrderBy()


def check_sort_follows_filter(condition: Condition | None, orderby: tuple[SortKey, ...]) -> None:
    """With both $filter and $orderby, Exchange wants every $orderby property in $filter, in the
    same order, before any property $orderby does not name (learn.microsoft.com/graph/api/
    user-list-messages, "Using filter and orderby in the same query"; the rule came with the
    2019 change described on devblogs.microsoft.com/microsoft365dev/update-to-filtering-and-
    sorting-rest-api)."""
    if condition is None or not orderby:
        return
    sorted_by = list(dict.fromkeys(key.path for key in orderby))
    if properties_in_order(condition)[:len(sorted_by)] != sorted_by:
        raise InefficientFilter()
