"""Reading request bodies the way Graph does."""

from __future__ import annotations


import orjson
from typing import Any

from fastapi import Request

from graphpost.errors import BadRequest, ErrorInvalidParameter, LengthRequired, RequestBodyRead
from graphpost.mail import content
from graphpost.mail.content import MessageContent
from graphpost.mail.nul import refuse_in_json


async def json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        raise BadRequest("Empty Payload. JSON content expected.")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise RequestBodyRead("Invalid JSON in the request body.") from None
    if not isinstance(value, dict):
        raise RequestBodyRead("The request body must be a JSON object.")
    refuse_in_json(raw, value)
    return value


async def optional_json_object(request: Request) -> dict[str, Any]:
    """The JSON object of an action whose parameters are all optional (an empty body is fine)."""
    if not (await request.body()).strip():
        return {}
    return await json_object(request)


def action_parameters(body: dict[str, Any]) -> dict[str, Any]:
    """Action parameters by lower-cased name: Kiota sends `Message`, the docs `message`."""
    return {key.lower(): value for key, value in body.items()}


async def destination_id(request: Request) -> str:
    """The `destinationId` of a move or copy (a message's or a folder's): action parameters come in
    any case (Kiota sends DestinationId); Exchange's words when it is missing."""
    destination = action_parameters(await json_object(request)).get("destinationid")
    if not isinstance(destination, str) or not destination.strip():
        raise ErrorInvalidParameter("The value of the parameter 'DestinationId' is empty.")
    return destination.strip()


async def no_body(request: Request) -> None:
    """For actions that take no body (`/send`): Graph's front door wants Content-Length on a
    POST, and anything beyond an empty object is refused."""
    headers = request.headers
    if "content-length" not in headers and "transfer-encoding" not in headers:
        raise LengthRequired()
    raw = (await request.body()).strip()
    if raw and raw != b"{}":
        try:
            empty = orjson.loads(raw) == {}
        except ValueError:
            empty = False
        if not empty:
            raise BadRequest("This action takes no request body.")


def is_mime(request: Request) -> bool:
    """Graph takes a base64 MIME message where the body is declared text/plain."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower() == "text/plain"


async def message_content(request: Request) -> MessageContent:
    if is_mime(request):
        return await content.read_base64_mime(await request.body())
    return await content.read_json(await json_object(request))
