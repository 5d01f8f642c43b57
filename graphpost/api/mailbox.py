"""Dependencies for mail routes: the mailbox a path names, after the caller's permission check."""

from __future__ import annotations

from typing import Annotated, Awaitable, Callable

from fastapi import Depends, Request

from graphpost.api import throttling, users
from graphpost.api.auth import authenticate
from graphpost.api.runtime import Runtime, runtime, runtime_of
from graphpost.directory.types import User

READ = ("Mail.Read", "Mail.ReadWrite")
WRITE = ("Mail.ReadWrite",)
SEND = ("Mail.Send",)


async def mailbox_owner(request: Request, permissions: tuple[str, ...]) -> User:
    """The owner of the mailbox the path names, once the caller is authenticated and holds one
    of `permissions`. Routes take it as a dependency (below); the busiest calls it directly,
    which spares FastAPI's dependency solving."""
    caller = await authenticate(request)
    caller.require(*permissions)
    owner = await users.mailbox_owner(runtime_of(request), caller, request.path_params.get("user_ref"),
                                      getattr(request.state, "signed_in_user", None))
    # Before the route does anything: a throttled request has written nothing.
    throttling.admit(request, caller, owner.id, sending=permissions == SEND)
    return owner


def _owner_needing(*permissions: str) -> Callable[..., Awaitable[User]]:
    # One dependency doing the whole check: FastAPI's dependency solving costs per dependency.
    async def owner(request: Request) -> User:
        return await mailbox_owner(request, permissions)
    return owner


Reader = Annotated[User, Depends(_owner_needing(*READ))]
Writer = Annotated[User, Depends(_owner_needing(*WRITE))]
Sender = Annotated[User, Depends(_owner_needing(*SEND))]
Rt = Annotated[Runtime, Depends(runtime)]
