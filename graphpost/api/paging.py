"""The OData system query options of a collection, $top / $skip / $count, and keyset pages with an
opaque $skiptoken (messages; folders page by offset, api/folder_query.py)."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Sequence
from urllib.parse import urlencode

import orjson
from fastapi import Request

from graphpost.errors import BadRequest, InvalidQuery, InvalidUrlQuery
from graphpost.mail.nul import NUL, invalid_character
from graphpost.odata.limits import MAX_QUERY_STRING
from graphpost.odata.query import Keyset

MAX_TOP = 1000


# -- message collections: the OData options, keyset pages and their $skiptoken ------------------

SYSTEM_OPTIONS = ("$filter", "$select", "$orderby", "$top", "$skip", "$skiptoken", "$count", "$search", "$expand",
                  "$format")


def system_options(request: Request) -> dict[str, str]:
    """The OData system query options of the request by lower-case name. Beta takes them without
    the `$` too (learn.microsoft.com/graph/query-parameters); each may come once."""
    if len(request.scope["query_string"]) > MAX_QUERY_STRING:
        raise BadRequest(f"The query string is longer than {MAX_QUERY_STRING} bytes.")
    beta = request.url.path.startswith("/beta/")
    found: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        name = key.lower()
        if not name.startswith("$") and beta and f"${name}" in SYSTEM_OPTIONS:
            name = f"${name}"
        if name not in SYSTEM_OPTIONS:
            continue
        if name in found:
            raise InvalidQuery(f"Query option '{name}' was specified more than once, but it must be specified at "
                               "most once.")
        if NUL in value:
            raise invalid_character(f"query option '{name}'")
        found[name] = value
    return found


def _option_int(options: dict[str, str], name: str, default: int, high: int) -> int:
    raw = options.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"[0-9]{1,10}", raw):
        # The words of Graph's URI parser for a $top or $skip it cannot read.
        raise BadRequest(f"Invalid value '{raw}' for {name} query option found. The {name} query option requires "
                         "a non-negative integer value.")
    if int(raw) > high:
        raise BadRequest(f"Invalid value '{raw}' for query option '{name}': it must be between 0 and {high}.")
    return int(raw)


def top_and_skip(options: dict[str, str], default_top: int = 10) -> tuple[int, int]:
    return _option_int(options, "$top", default_top, MAX_TOP), _option_int(options, "$skip", 0, 2**31 - 1)


def count_asked(options: dict[str, str]) -> bool:
    raw = options.get("$count")
    if raw is None or raw.lower() == "false":
        return False
    if raw.lower() == "true":
        return True
    raise BadRequest(f"'{raw}' is not a valid count option.")


def skiptoken(keyset: Keyset) -> str:
    """An opaque $skiptoken: the keyset of the page's last row, base64url JSON."""
    raw = orjson.dumps({"k": list(keyset.values), "n": keyset.served})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _storable(value: Any) -> bool:
    """Whether a key value of a $skiptoken can be bound in SQL on both backends: a client may
    forge the token, and a 65-bit integer or a NUL would fail the database, not the token."""
    if isinstance(value, int):
        return -2**63 <= value < 2**63
    return not isinstance(value, str) or NUL not in value


def keyset_of(token: str) -> Keyset:
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        values, served = decoded["k"], decoded["n"]
        if not isinstance(values, list) or not values or not isinstance(served, int) or not 0 <= served < 2**63 \
                or not all(_storable(value) for value in values):
            raise ValueError(token)
    except (ValueError, TypeError, KeyError, binascii.Error, orjson.JSONDecodeError):
        raise InvalidUrlQuery("The $skiptoken value is not valid.") from None
    return Keyset(tuple(values), served)


def url_with(request: Request, replaced: tuple[str, ...], added: list[tuple[str, str]]) -> str:
    """The request's own URL with every option kept as the client wrote it, but the system
    options in `replaced` (in any spelling beta takes) replaced by `added`: a next page's link."""
    beta = request.url.path.startswith("/beta/")

    def is_replaced(key: str) -> bool:
        name = key.lower()
        if beta and not name.startswith("$"):
            name = f"${name}"
        return name in replaced

    kept = [(key, value) for key, value in request.query_params.multi_items() if not is_replaced(key)]
    return f"{str(request.url).split('?', 1)[0]}?{urlencode(kept + added)}"


def next_link(request: Request, keyset: Keyset) -> str:
    """A message page's successor: $skip and $skiptoken replaced by the next page's $skiptoken."""
    return url_with(request, ("$skip", "$skiptoken"), [("$skiptoken", skiptoken(keyset))])


def keyset_collection(request: Request, context: str, items: Sequence[dict[str, Any]], count: int | None,
                      keyset: Keyset | None) -> dict[str, Any]:
    body: dict[str, Any] = {"@odata.context": context}
    if count is not None:
        body["@odata.count"] = count
    body["value"] = list(items)
    if keyset is not None:
        body["@odata.nextLink"] = next_link(request, keyset)
    return body
