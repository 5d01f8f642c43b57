"""Mail folders: /mailFolders, /mailFolders/{id | well-known name}, their childFolders (with
$select, $filter, $orderby, $top, $skip and $count: api/folder_query.py), and the folder tree's
changes (create, rename, delete, move, copy)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from graphpost.api.bodies import destination_id, json_object
from graphpost.api.mailbox import Reader, Rt, Writer
from graphpost.api.folder_query import folder_collection, folder_query, hidden_folders_asked
from graphpost.api.query_options import requested_select
from graphpost.api.resources import folder_resource, odata_context, owner_path
from graphpost.api.responses import GraphJSONResponse
from graphpost.api.routes.messages import list_folder_messages
from graphpost.api.selection import select_folder, selected_path
from graphpost.mail import folders as well_known
from graphpost.mail import mailbox
from graphpost.mail.types import Folder
from graphpost.odata.entities import MAIL_FOLDER

router = APIRouter()


def _entity(request: Request, folder: Folder, fragment: str, status: int = 200) -> GraphJSONResponse:
    select = requested_select(request, MAIL_FOLDER)
    context = odata_context(request, f"{owner_path(request)}/{selected_path(fragment, select)}/$entity")
    return GraphJSONResponse({"@odata.context": context, **select_folder(folder_resource(folder), select)},
                             status_code=status)


async def _children(request: Request, owner: Reader, rt: Rt, parent_ref: str, fragment: str) -> GraphJSONResponse:
    query = folder_query(request)
    page = await mailbox.child_folders(rt.db, owner.id, parent_ref, include_hidden=hidden_folders_asked(request),
                                       query=query)
    context = odata_context(request, f"{owner_path(request)}/{selected_path(fragment, query.select)}")
    items = [select_folder(folder_resource(folder), query.select) for folder in page.folders]
    return GraphJSONResponse(folder_collection(request, context, items, query, page))


def _child_path(parent_ref: str) -> str:
    return f"mailFolders('{parent_ref}')/childFolders"


@router.get("/mailFolders")
async def list_folders(request: Request, owner: Reader, rt: Rt) -> GraphJSONResponse:
    return await _children(request, owner, rt, well_known.ROOT, "mailFolders")


@router.post("/mailFolders", status_code=201)
async def create_folder(request: Request, owner: Writer, rt: Rt) -> GraphJSONResponse:
    row = await mailbox.create_folder(rt.db, owner.id, well_known.ROOT, await json_object(request))
    return _entity(request, row, "mailFolders", 201)


@router.get("/mailFolders/{folder_ref}")
async def get_folder(request: Request, folder_ref: str, owner: Reader, rt: Rt) -> GraphJSONResponse:
    return _entity(request, await mailbox.get_folder(rt.db, owner.id, folder_ref), "mailFolders")


@router.patch("/mailFolders/{folder_ref}")
async def update_folder(request: Request, folder_ref: str, owner: Writer, rt: Rt) -> GraphJSONResponse:
    row = await mailbox.update_folder(rt.db, owner.id, folder_ref, await json_object(request))
    return _entity(request, row, "mailFolders")


@router.delete("/mailFolders/{folder_ref}", status_code=204)
async def delete_folder(folder_ref: str, owner: Writer, rt: Rt) -> Response:
    await mailbox.delete_folder(rt.db, owner.id, folder_ref)
    return Response(status_code=204)


@router.post("/mailFolders/{folder_ref}/move", status_code=201)
async def move_folder(request: Request, folder_ref: str, owner: Writer, rt: Rt) -> GraphJSONResponse:
    row = await mailbox.move_folder(rt.db, owner.id, folder_ref, await destination_id(request))
    return _entity(request, row, "mailFolders", 201)


@router.post("/mailFolders/{folder_ref}/copy", status_code=201)
async def copy_folder(request: Request, folder_ref: str, owner: Writer, rt: Rt) -> GraphJSONResponse:
    row = await mailbox.copy_folder(rt.db, owner.id, folder_ref, await destination_id(request))
    return _entity(request, row, "mailFolders", 201)


@router.get("/mailFolders/{folder_ref}/childFolders")
async def list_child_folders(request: Request, folder_ref: str, owner: Reader, rt: Rt) -> GraphJSONResponse:
    return await _children(request, owner, rt, folder_ref, _child_path(folder_ref))


@router.post("/mailFolders/{folder_ref}/childFolders", status_code=201)
async def create_child_folder(request: Request, folder_ref: str, owner: Writer, rt: Rt) -> GraphJSONResponse:
    row = await mailbox.create_folder(rt.db, owner.id, folder_ref, await json_object(request))
    return _entity(request, row, _child_path(folder_ref), 201)


@router.get("/mailFolders/{folder_ref}/childFolders/{child_ref}")
async def get_child_folder(request: Request, folder_ref: str, child_ref: str, owner: Reader,
                           rt: Rt) -> GraphJSONResponse:
    row = await mailbox.get_folder(rt.db, owner.id, child_ref, parent_ref=folder_ref)
    return _entity(request, row, _child_path(folder_ref))


@router.patch("/mailFolders/{folder_ref}/childFolders/{child_ref}")
async def update_child_folder(request: Request, folder_ref: str, child_ref: str, owner: Writer,
                              rt: Rt) -> GraphJSONResponse:
    row = await mailbox.update_folder(rt.db, owner.id, child_ref, await json_object(request), parent_ref=folder_ref)
    return _entity(request, row, _child_path(folder_ref))


@router.delete("/mailFolders/{folder_ref}/childFolders/{child_ref}", status_code=204)
async def delete_child_folder(folder_ref: str, child_ref: str, owner: Writer, rt: Rt) -> Response:
    await mailbox.delete_folder(rt.db, owner.id, child_ref, parent_ref=folder_ref)
    return Response(status_code=204)


@router.get("/mailFolders/{folder_ref}/childFolders/{child_ref}/messages")
async def list_child_folder_messages(request: Request, folder_ref: str, child_ref: str, owner: Reader,
                                     rt: Rt) -> GraphJSONResponse:
    # The child's messages are its own /mailFolders/{id}/messages, once it is known to be a child.
    child = await mailbox.get_folder(rt.db, owner.id, child_ref, parent_ref=folder_ref)
    return await list_folder_messages(request, child.id, owner, rt)
