"""The upload URL of an attachment upload session. It carries its own credential (`authtoken`),
as Graph's does, so no bearer token is needed (or looked at)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from graphpost.api.mailbox import Rt
from graphpost.api.responses import GraphJSONResponse
from graphpost.api.throttling import upload_bytes
from graphpost.mail import uploads

router = APIRouter()
UPLOAD_PATH = "/upload/attachmentSessions/{session_id}"


@router.put(UPLOAD_PATH)
async def put_range(request: Request, session_id: str, rt: Rt) -> Response:
    length = request.headers.get("content-length")
    if rt.throttle is not None:
        # The range counts against its mailbox's upload bytes, refused before any of it is stored.
        owner_id = await uploads.session_owner(rt.db, session_id, request.query_params.get("authtoken"))
        rt.throttle.admit_upload(owner_id, upload_bytes(request))
    result = await uploads.put_range(rt.db, session_id, request.query_params.get("authtoken"),
                                     request.headers.get("content-range"),
                                     int(length) if length and length.isdigit() else None, request.stream())
    if isinstance(result, uploads.Finished):
        # The last range creates the attachment: 201, its URL in Location, no body.
        location = (f"{str(request.base_url).rstrip('/')}/v1.0/users/{result.user_id}/messages/"
                    f"{result.message_id}/attachments/{result.attachment.id}")
        return Response(status_code=201, headers={"Location": location})
    return GraphJSONResponse(result.resource())


@router.delete(UPLOAD_PATH, status_code=204)
async def cancel(request: Request, session_id: str, rt: Rt) -> Response:
    await uploads.cancel(rt.db, session_id, request.query_params.get("authtoken"))
    return Response(status_code=204)
