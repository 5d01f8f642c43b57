"""The query of a delta request: either the options of a round's first request, checked against
what Graph takes on delta, or the state and options a $skiptoken / $deltatoken carries (Graph
encodes a first request's options into its tokens, and later requests carry nothing else).

Graph's message: delta takes `$select`, `$top`, `changeType=created|updated|deleted`, `$filter`
only as `receivedDateTime ge|gt {value}` and `$orderby` only as `receivedDateTime desc`, and no
`$search` (learn.microsoft.com/graph/api/message-delta, /graph/delta-query-messages); mailFolder:
delta takes `$select` (learn.microsoft.com/graph/api/mailfolder-delta). Anything else is a 400.
`$expand` is ignored, as on the message list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fastapi import Request

from graphpost.api.delta_tokens import DeltaToken, decode
from graphpost.api.paging import MAX_TOP, system_options, top_and_skip
from graphpost.api.prefer import max_page_size, preferences
from graphpost.auth.keys import SigningKey
from graphpost.errors import InvalidUrlQuery, UnsupportedFilter
from graphpost.mail.delta import DeltaOptions, DeltaState
from graphpost.odata.binder import bind_filter, bind_orderby, bind_select
from graphpost.odata.entities import MAIL_FOLDER, MESSAGE
from graphpost.odata.parser import parse_filter, parse_orderby, parse_select
from graphpost.odata.query import Compare, Property

CHANGE_TYPES = ("created", "updated", "deleted")
# Graph's page of a delta round when the client sets none (as its message list's).
DEFAULT_PAGE = 10
_TOKENS = ("$skiptoken", "$deltatoken")


@dataclass(frozen=True)
class DeltaQuery:
    state: DeltaState | None            # None: the first page of a first round
    options: dict[str, str]             # the first request's, carried from page to page
    select: tuple[str, ...] | None
    delta: DeltaOptions
    page_size_preferred: bool           # Prefer: odata.maxpagesize was applied


def _token(request: Request) -> tuple[str, str] | None:
    found = [(key.lower(), value) for key, value in request.query_params.multi_items()
             if key.lower() in _TOKENS or (request.url.path.startswith("/beta/") and f"${key.lower()}" in _TOKENS)]
    if len(found) > 1:
        raise InvalidUrlQuery("Only one of $skiptoken and $deltatoken may be given, once.")
    return found[0] if found else None


def _first_options(request: Request, messages: bool) -> dict[str, str]:
    """The options of a first request, refused where delta does not take them."""
    options = system_options(request)
    allowed = ("$select", "$top", "$expand", "$filter", "$orderby") if messages else ("$select",)
    for name in options:
        if name == "$skiptoken":
            continue
        if name not in allowed:
            raise InvalidUrlQuery(f"The query parameter '{name}' is not supported with delta.")
    options.pop("$skiptoken", None)
    change_type = [value for key, value in request.query_params.multi_items() if key.lower() == "changetype"]
    if change_type:
        if not messages:
            raise InvalidUrlQuery("The query parameter 'changeType' is not supported with delta of mail folders.")
        if len(change_type) > 1 or change_type[0].lower() not in CHANGE_TYPES:
            raise InvalidUrlQuery(f"'{change_type[-1]}' is not a valid changeType: use created, updated or deleted.")
        options["changeType"] = change_type[0].lower()
    return options


def _received(raw: str) -> tuple[str, datetime]:
    condition = bind_filter(parse_filter(raw), MESSAGE)
    if not (isinstance(condition, Compare) and isinstance(condition.operand, Property)
            and condition.operand.path == "receivedDateTime" and condition.operator in ("ge", "gt")
            and isinstance(condition.value, datetime)):
        raise UnsupportedFilter("Delta supports $filter only as receivedDateTime ge or gt a date and time.")
    return condition.operator, condition.value


def _check_orderby(raw: str) -> None:
    keys = bind_orderby(parse_orderby(raw), MESSAGE)
    if [(key.path, key.descending) for key in keys] != [("receivedDateTime", True)]:
        raise InvalidUrlQuery("Delta supports $orderby only as receivedDateTime desc.")


def delta_query(request: Request, signing_key: SigningKey, messages: bool) -> DeltaQuery:
    token = _token(request)
    state = None
    if token is not None:
        decoded: DeltaToken = decode(token[1], signing_key)
        state, options = decoded.state, decoded.options
    else:
        options = _first_options(request, messages)
    entity = MESSAGE if messages else MAIL_FOLDER
    select = bind_select(parse_select(options["$select"]), entity) if "$select" in options else None
    received = _received(options["$filter"]) if "$filter" in options else None
    if "$orderby" in options:
        _check_orderby(options["$orderby"])
    top, _ = top_and_skip(options, DEFAULT_PAGE)
    preferred = max_page_size(request, MAX_TOP)
    change_type = options.get("changeType")
    delta = DeltaOptions(page_size=preferred or max(top, 1),
                         change_types=frozenset({change_type}) if change_type else None,
                         received=received, immutable_ids=preferences(request).immutable_ids)
    return DeltaQuery(state, options, select, delta, preferred is not None)
