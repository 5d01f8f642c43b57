"""Graph's JSON responses."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

GRAPH_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"


class GraphJSONResponse(JSONResponse):
    media_type = GRAPH_JSON

    def render(self, content: Any) -> bytes:
        import json
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
