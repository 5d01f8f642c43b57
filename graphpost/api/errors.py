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
from graphpost.api.responses import EntraJSONResponse, GraphJSONResponse
from graphpost.errors import (BadRequest, EntraError, GraphError, MethodNotAllowed, RequestBodyRead, RequestTooLarge,
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


def entra_envelope(request: Request, error: EntraError) -> EntraJSONResponse:
    """Entra ID's error answer (its token and discovery endpoints): the request ids are its
    trace_id and correlation_id, and the description ends with them, as Entra's does."""
    trace_id, correlation_id = request_ids(request.scope)
    timestamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": error.code,
        "error_description": f"{error.message} Trace ID: {trace_id} Correlation ID: {correlation_id} "
                             f"Timestamp: {timestamp}",
        "error_codes": [error.aadsts],
        "timestamp": timestamp,
        "trace_id": trace_id,
        "correlation_id": correlation_id,
        "error_uri": f"{str(request.base_url).rstrip('/')}/error?code={error.aadsts}",
    }
    return EntraJSONResponse(body, status_code=error.status, headers=error.headers)


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


def error_response(request: Request, exc: Exception) -> GraphJSONResponse | EntraJSONResponse:
    """Graph's answer to an exception raised while serving `request`: the exception handlers of
    the app (install, below) and the routes served ahead of FastAPI (api/direct.py) both use it."""
    if isinstance(exc, EntraError):
        return entra_envelope(request, exc)
    if isinstance(exc, GraphError):
        return envelope(request, exc)
    if isinstance(exc, HTTPException):
        if exc.status_code == 404:
            return envelope(request, SegmentNotFound(_unknown_segment(request.app.state.route_templates,
                                                                      request.url.path)))
        if exc.status_code == 405:
            return envelope(request, MethodNotAllowed())
        if exc.status_code == 413:
            return envelope(request, RequestTooLarge())
        if exc.status_code == 415:
            return envelope(request, UnsupportedMediaType())
        return envelope(request, BadRequest(str(exc.detail)))
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        if first.get("type") == "json_invalid":
            return envelope(request, RequestBodyRead("Invalid JSON in the request body."))
        where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
        return envelope(request, BadRequest(f"Invalid value for '{where}': {first.get('msg', 'invalid')}."))
    # Logged with its traceback for the operator; the client sees Graph's generic 500.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return envelope(request, GraphError())


def install(app: FastAPI) -> None:
    async def handler(request: Request, exc: Exception) -> GraphJSONResponse | EntraJSONResponse:
        return error_response(request, exc)

    for kind in (GraphError, HTTPException, RequestValidationError, Exception):
        app.add_exception_handler(kind, handler)
