"""The `Prefer` request header, as Graph reads it for mail (RFC 7240 syntax):
`IdType="ImmutableId"` (ids that survive moves) and `outlook.body-content-type="text"|"html"`
(the body, and uniqueBody, in that format whatever the message was written in)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

BODY_CONTENT_TYPE = "outlook.body-content-type"


@dataclass(frozen=True)
class Preferences:
    immutable_ids: bool = False
    body_type: str | None = None  # "text" or "html"

    def applied(self) -> dict[str, str]:
        """The `Preference-Applied` header Graph answers with (it echoes the body format only)."""
        return {"Preference-Applied": f'{BODY_CONTENT_TYPE}="{self.body_type}"'} if self.body_type else {}


NONE = Preferences()


def _pairs(request: Request) -> list[tuple[str, str]]:
    # Several preferences may share one header (comma-separated) or come in several headers.
    pairs = []
    for header in request.headers.getlist("prefer"):
        for item in header.split(","):
            name, _, value = item.strip().partition("=")
            pairs.append((name.strip().lower(), value.split(";", 1)[0].strip().strip('"').lower()))
    return pairs


def preferences(request: Request) -> Preferences:
    """What the request prefers; unknown preferences and values are ignored, as RFC 7240 says."""
    if "prefer" not in request.headers:
        return NONE
    immutable, body_type = False, None
    for name, value in _pairs(request):
        if name == "idtype":
            immutable = value == "immutableid"
        elif name == BODY_CONTENT_TYPE and value in ("text", "html"):
            body_type = value
    return Preferences(immutable, body_type)


def max_page_size(request: Request, high: int) -> int | None:
    """`Prefer: odata.maxpagesize=N` (OData 4.01 §8.2.8.3), at most `high`; None without it or
    with a value that is no positive integer (ignored, as RFC 7240 says of what a server cannot use)."""
    for name, value in _pairs(request) if "prefer" in request.headers else ():
        if name == "odata.maxpagesize" and value.isdigit() and int(value) > 0:
            return min(int(value), high)
    return None
