"""Messages: list, create (drafts), get, update, delete, in the mailbox or in one folder."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from graphpost.api.bodies import destination_id, json_object, message_content
from graphpost.api.conditions import if_match
from graphpost.api.prefer import preferences
from graphpost.api.mailbox import Reader, Rt, Writer
from graphpost.api.message_query import message_query
from graphpost.api.query_options import requested_select
from graphpost.api.paging import keyset_collection
from graphpost.api.resources import message_resource, odata_context, owner_path, server_root
from graphpost.api.responses import GraphJSONResponse
from graphpost.api.selection import select_message, selected_path
from graphpost.mail import messages, moves
from graphpost.mail.types import Message
from graphpost.odata.entities import MESSAGE

router = APIRouter()


def entity(request: Request, message: Message, status: int = 200) -> GraphJSONResponse:
    select = requested_select(request, MESSAGE)
    context = odata_context(request, f"{owner_path(request)}/{selected_path('messages', select)}/$entity")
    prefer = preferences(request)
    resource = select_message(message_resource(message, server_root(request), prefer), message, select)
    return GraphJSONResponse({"@odata.context": context, **resource}, status_code=status, headers=prefer.applied())


async def _list(request: Request, owner: Reader, rt: Rt, folder_ref: str | None) -> GraphJSONResponse:
    query = message_query(request)
    page = await messages.list_messages(rt.db, owner, folder_ref, query)
    server = server_root(request)
    suffix = f"mailFolders('{folder_ref}')/messages" if folder_ref else "messages"
    context = odata_context(request, f"{owner_path(request)}/{selected_path(suffix, query.select)}")
    prefer = preferences(request)
    items = [select_message(message_resource(message, server, prefer), message, query.select)
             for message in page.messages]
    return GraphJSONResponse(keyset_collection(request, context, items, page.count, page.next),
                             headers=prefer.applied())


@router.get("/messages")
async def list_messages(request: Request, owner: Reader, rt: Rt) -> GraphJSONResponse:
    return await _list(request, owner, rt, None)


@router.get("/mailFolders/{folder_ref}/messages")
async def list_folder_messages(request: Request, folder_ref: str, owner: Reader, rt: Rt) -> GraphJSONResponse:
    return await _list(request, owner, rt, folder_ref)


@router.post("/messages", status_code=201)
async def create_message(request: Request, owner: Writer, rt: Rt) -> GraphJSONResponse:
    draft = await messages.create_draft(rt.db, owner, await message_content(request))
    return entity(request, draft, 201)


@router.post("/mailFolders/{folder_ref}/messages", status_code=201)
async def create_folder_message(request: Request, folder_ref: str, owner: Writer, rt: Rt) -> GraphJSONResponse:
    draft = await messages.create_draft(rt.db, owner, await message_content(request), folder_ref)
    return entity(request, draft, 201)


@router.get("/messages/{message_id}")
async def get_message(request: Request, message_id: str, owner: Reader, rt: Rt) -> GraphJSONResponse:
    return entity(request, await messages.get_message(rt.db, owner, message_id))


@router.patch("/messages/{message_id}")
async def update_message(request: Request, message_id: str, owner: Writer, rt: Rt) -> GraphJSONResponse:
    updated = await messages.update_message(rt.db, owner, message_id, await json_object(request), if_match(request))
    return entity(request, updated)


@router.get("/messages/{message_id}/$value")
async def get_message_mime(message_id: str, owner: Reader, rt: Rt) -> Response:
    # Graph serves a message's MIME as text/plain.
    return Response(await messages.message_mime(rt.db, owner, message_id), media_type="text/plain")


@router.delete("/messages/{message_id}", status_code=204)
async def delete_message(request: Request, message_id: str, owner: Writer, rt: Rt) -> Response:
    await messages.delete_message(rt.db, owner, message_id, if_match(request))
    return Response(status_code=204)


@router.post("/messages/{message_id}/move", status_code=201)
async def move_message(request: Request, message_id: str, owner: Writer, rt: Rt) -> GraphJSONResponse:
    return entity(request, await moves.move(rt.db, owner, message_id, await destination_id(request)), 201)


@router.post("/messages/{message_id}/copy", status_code=201)
async def copy_message(request: Request, message_id: str, owner: Writer, rt: Rt) -> GraphJSONResponse:
    return entity(request, await moves.copy(rt.db, owner, message_id, await destination_id(request)), 201)
