"""Mail folders: /mailFolders, /mailFolders/{id | well-known name}."""

from __future__ import annotations

from fastapi import APIRouter, Request

from graphpost.api.mailbox import Reader, Rt
from graphpost.api.paging import collection, page_of
from graphpost.api.resources import folder_resource, odata_context
from graphpost.api.responses import GraphJSONResponse
from graphpost.mail import folders as well_known
from graphpost.mail.mailbox import find_folder
from graphpost.store import mailbox as store

router = APIRouter()


def _owner_path(request: Request) -> str:
    ref = request.path_params.get("user_ref")
    return f"users('{ref}')" if ref else "users('me')"  # shaped like Graph's context fragments


@router.get("/mailFolders")
async def list_folders(request: Request, owner: Reader, rt: Rt) -> GraphJSONResponse:
    page = page_of(request)
    include_hidden = request.query_params.get("includeHiddenFolders", "").lower() == "true"
    async with rt.db.read() as conn:
        top = await store.folder(conn, owner.id, well_known=well_known.ROOT)
        assert top is not None  # every mailbox is created with its folders
        rows = await store.child_folders(conn, owner.id, top.id, include_hidden=include_hidden,
                                         top=page.fetch, skip=page.skip)
    context = odata_context(request, f"{_owner_path(request)}/mailFolders")
    return GraphJSONResponse(collection(request, context, [folder_resource(row) for row in rows[:page.top]],
                                        page, len(rows) > page.top))


@router.get("/mailFolders/{folder_ref}")
async def get_folder(request: Request, folder_ref: str, owner: Reader, rt: Rt) -> GraphJSONResponse:
    async with rt.db.read() as conn:
        row = await find_folder(conn, owner.id, folder_ref)
    context = odata_context(request, f"{_owner_path(request)}/mailFolders/$entity")
    return GraphJSONResponse({"@odata.context": context, **folder_resource(row)})
