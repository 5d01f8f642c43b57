"""Mail folders: /mailFolders, /mailFolders/{id | well-known name}."""

from __future__ import annotations

from fastapi import APIRouter, Request

from graphpost.api.mailbox import Reader, Rt
from graphpost.api.paging import collection, page_of
from graphpost.api.resources import folder_resource, odata_context, owner_path
from graphpost.api.responses import GraphJSONResponse
from graphpost.mail import mailbox

router = APIRouter()


@router.get("/mailFolders")
async def list_folders(request: Request, owner: Reader, rt: Rt) -> GraphJSONResponse:
    page = page_of(request)
    include_hidden = request.query_params.get("includeHiddenFolders", "").lower() == "true"
    rows = await mailbox.top_folders(rt.db, owner.id, include_hidden=include_hidden, top=page.fetch, skip=page.skip)
    context = odata_context(request, f"{owner_path(request)}/mailFolders")
    return GraphJSONResponse(collection(request, context, [folder_resource(row) for row in rows[:page.top]],
                                        page, len(rows) > page.top))


@router.get("/mailFolders/{folder_ref}")
async def get_folder(request: Request, folder_ref: str, owner: Reader, rt: Rt) -> GraphJSONResponse:
    row = await mailbox.get_folder(rt.db, owner.id, folder_ref)
    context = odata_context(request, f"{owner_path(request)}/mailFolders/$entity")
    return GraphJSONResponse({"@odata.context": context, **folder_resource(row)})
