"""$top / $skip and @odata.nextLink for collections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence
from urllib.parse import urlencode

from fastapi import Request

from graphpost.errors import BadRequest

MAX_TOP = 1000


@dataclass(frozen=True)
class Page:
    top: int
    skip: int

    @property
    def fetch(self) -> int:
        """Rows to ask for: one more than a page tells whether another page exists."""
        return self.top + 1


def _int_option(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"Invalid value '{raw}' for query option '{name}'.") from None
    if not low <= value <= high:
        raise BadRequest(f"Invalid value '{raw}' for query option '{name}': it must be between {low} and {high}.")
    return value


def page_of(request: Request, default_top: int = 10) -> Page:
    # Graph takes $top=0 (an empty page, useful with $count).
    return Page(_int_option(request, "$top", default_top, 0, MAX_TOP),
                _int_option(request, "$skip", 0, 0, 2**31 - 1))


def collection(request: Request, context: str, items: Sequence[dict[str, Any]], page: Page,
               more: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"@odata.context": context, "value": list(items)}
    if more and page.top > 0:
        query = {key: value for key, value in request.query_params.items() if key not in ("$top", "$skip")}
        query.update({"$top": str(page.top), "$skip": str(page.skip + page.top)})
        body["@odata.nextLink"] = f"{str(request.url).split('?', 1)[0]}?{urlencode(query)}"
    return body
