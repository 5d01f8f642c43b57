"""Graph's JSON responses."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse

GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


class GraphJSONResponse(JSONResponse):
    media_type = GRAPH_JSON

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class EntraJSONResponse(JSONResponse):
    """The identity endpoint's JSON, typed as Entra ID types it (no OData parameters)."""

    media_type = "application/json; charset=utf-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)
