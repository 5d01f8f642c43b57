"""GET /me and GET /users/{id | userPrincipalName}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from graphpost.api import users
from graphpost.api.auth import Caller
from graphpost.api.resources import odata_context, user_resource
from graphpost.api.responses import GraphJSONResponse
from graphpost.api.runtime import Runtime, runtime

router = APIRouter()
Rt = Annotated[Runtime, Depends(runtime)]


@router.get("/me")
async def get_me(request: Request, caller: Caller, rt: Rt) -> GraphJSONResponse:
    user = await users.signed_in_user(rt, caller, getattr(request.state, "signed_in_user", None))
    return GraphJSONResponse({"@odata.context": odata_context(request, "users/$entity"), **user_resource(user)})


@router.get("/users/{user_ref}")
async def get_user(request: Request, user_ref: str, caller: Caller, rt: Rt) -> GraphJSONResponse:
    user = await users.directory_user(rt, caller, user_ref)
    return GraphJSONResponse({"@odata.context": odata_context(request, "users/$entity"), **user_resource(user)})
