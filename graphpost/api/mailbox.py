"""Dependencies for mail routes: the mailbox a path names, after the caller's permission check."""

from __future__ import annotations

from typing import Annotated, Awaitable, Callable

from fastapi import Depends, Request

from graphpost.api import users
from graphpost.api.auth import authenticate
from graphpost.api.runtime import Runtime, runtime, runtime_of
from graphpost.store.directory import UserRow

READ = ("Mail.Read", "Mail.ReadWrite")
WRITE = ("Mail.ReadWrite",)
SEND = ("Mail.Send",)


def _owner_needing(*permissions: str) -> Callable[..., Awaitable[UserRow]]:
    # One dependency doing the whole check: FastAPI's dependency solving costs per dependency,
    # and this runs on every mail request.
    async def owner(request: Request) -> UserRow:
        caller = await authenticate(request)
        caller.require(*permissions)
        return await users.mailbox_owner(runtime_of(request), caller, request.path_params.get("user_ref"),
                                         getattr(request.state, "signed_in_user", None))
    return owner


Reader = Annotated[UserRow, Depends(_owner_needing(*READ))]
Writer = Annotated[UserRow, Depends(_owner_needing(*WRITE))]
Sender = Annotated[UserRow, Depends(_owner_needing(*SEND))]
Rt = Annotated[Runtime, Depends(runtime)]
