"""The one place where errors become Graph's envelope:
{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from graphpost.api.context import request_ids
from graphpost.api.responses import GraphJSONResponse
from graphpost.errors import (BadRequest, GraphError, MethodNotAllowed, RequestBodyRead, RequestTooLarge,
                              SegmentNotFound, UnsupportedMediaType)

log = logging.getLogger(__name__)


def envelope(request: Request, error: GraphError) -> GraphJSONResponse:
    request_id, client_request_id = request_ids(request.scope)
    body = {"error": {
        "code": error.code,
        "message": error.message,
        "innerError": {
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": request_id,
            "client-request-id": client_request_id,
        },
    }}
    return GraphJSONResponse(body, status_code=error.status, headers=error.headers)


def _unknown_segment(templates: list[str], path: str) -> str:
    """The first segment of `path` that no route knows, as Graph names it in its 400."""
    segments = [s for s in path.split("/") if s]
    if not segments:
        return ""
    best = 0
    for route_path in templates:
        template = [s for s in route_path.split("/") if s]
        matched = 0
        for want, got in zip(template, segments):
            if not (re.fullmatch(r"\{.*\}", want) or want.lower() == got.lower()):
                break
            matched += 1
        best = max(best, matched)
    return segments[min(best, len(segments) - 1)]


def install(app: FastAPI) -> None:
    @app.exception_handler(GraphError)
    async def _graph_error(request: Request, exc: GraphError) -> GraphJSONResponse:
        return envelope(request, exc)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> GraphJSONResponse:
        if exc.status_code == 404:
            return envelope(request, SegmentNotFound(_unknown_segment(app.state.route_templates, request.url.path)))
        if exc.status_code == 405:
            return envelope(request, MethodNotAllowed())
        if exc.status_code == 413:
            return envelope(request, RequestTooLarge())
        if exc.status_code == 415:
            return envelope(request, UnsupportedMediaType())
        return envelope(request, BadRequest(str(exc.detail)))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> GraphJSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            return envelope(request, RequestBodyRead("Invalid JSON in the request body."))
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        return envelope(request, BadRequest(f"Invalid value for '{where}': {first.get('msg', 'invalid')}."))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> GraphJSONResponse:
        # Logged with its traceback for the operator; the client sees Graph's generic 500.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return envelope(request, GraphError())
