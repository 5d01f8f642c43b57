"""Attachments of a message: list, add, get, raw content ($value), delete, and upload sessions for
large files."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse

from graphpost.api.bodies import json_object
from graphpost.api.mailbox import Reader, Rt, Writer
from graphpost.api.resources import attachment_resource, is_beta, odata_context, owner_path
from graphpost.api.responses import GraphJSONResponse
from graphpost.mail import attachments, uploads

router = APIRouter()

# Encoding contentBytes (base64, then JSON) costs ~3 ms per MB, up to the 150 MB an upload session
# takes: past this size it runs in a thread, so that it does not hold up the other requests.
_ENCODE_IN_THREAD = 1024 * 1024


async def _encoded(size: int, response: Callable[[], GraphJSONResponse]) -> GraphJSONResponse:
    return await asyncio.to_thread(response) if size > _ENCODE_IN_THREAD else response()


def _context(request: Request, message_id: str, entity: bool) -> str:
    suffix = f"/messages('{message_id}')/attachments" + ("/$entity" if entity else "")
    return odata_context(request, owner_path(request) + suffix)


@router.get("/messages/{message_id}/attachments")
async def list_attachments(request: Request, message_id: str, owner: Reader, rt: Rt) -> GraphJSONResponse:
    found = await attachments.list_with_content(rt.db, owner, message_id)
    beta = is_beta(request)
    return await _encoded(sum(len(content) for _, content in found), lambda: GraphJSONResponse(
        {"@odata.context": _context(request, message_id, False),
         "value": [attachment_resource(attachment, content, beta) for attachment, content in found]}))


@router.post("/messages/{message_id}/attachments", status_code=201)
async def add_attachment(request: Request, message_id: str, owner: Writer, rt: Rt) -> GraphJSONResponse:
    payload = await json_object(request)
    added = await attachments.add(rt.db, owner, message_id, payload)
    content = attachments.parse_attachment(payload).content if added.kind == "file" else b""
    return GraphJSONResponse({"@odata.context": _context(request, message_id, True),
                              **attachment_resource(added, content or b"", is_beta(request))}, status_code=201)


@router.get("/messages/{message_id}/attachments/{attachment_id}")
async def get_attachment(request: Request, message_id: str, attachment_id: str, owner: Reader,
                         rt: Rt) -> GraphJSONResponse:
    attachment, content = await attachments.get_with_content(rt.db, owner, message_id, attachment_id)
    return await _encoded(len(content), lambda: GraphJSONResponse(
        {"@odata.context": _context(request, message_id, True),
         **attachment_resource(attachment, content, is_beta(request))}))


@router.get("/messages/{message_id}/attachments/{attachment_id}/$value")
async def attachment_value(message_id: str, attachment_id: str, owner: Reader, rt: Rt) -> StreamingResponse:
    attachment, chunks = await attachments.open_content(rt.db, owner, message_id, attachment_id)
    media_type = attachment.content_type or ("message/rfc822" if attachment.kind == "item"
                                             else "application/octet-stream")
    # Content-Type given as a header: as media_type, Starlette would add a charset of its own.
    return StreamingResponse(chunks, headers={"Content-Type": media_type, "Content-Length": str(attachment.size)})


@router.delete("/messages/{message_id}/attachments/{attachment_id}", status_code=204)
async def delete_attachment(message_id: str, attachment_id: str, owner: Writer, rt: Rt) -> Response:
    await attachments.delete(rt.db, owner, message_id, attachment_id)
    return Response(status_code=204)


@router.post("/messages/{message_id}/attachments/createUploadSession", status_code=201)
async def create_upload_session(request: Request, message_id: str, owner: Writer, rt: Rt) -> GraphJSONResponse:
    body = await json_object(request)
    item = {key.lower(): value for key, value in body.items()}.get("attachmentitem")
    created = await uploads.create(rt.db, owner, message_id, item, str(request.base_url).rstrip("/"))
    return GraphJSONResponse({"@odata.context": odata_context(request, "microsoft.graph.uploadSession"),
                              **created.resource()}, status_code=201)
