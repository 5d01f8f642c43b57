"""Resolving the user a path names: `/me` or `/users/{id | userPrincipalName}`."""

from __future__ import annotations

from graphpost.api.runtime import Runtime
from graphpost.auth.permissions import Principal
from graphpost.directory import service as directory
from graphpost.directory.types import User
from graphpost.errors import AccessDenied, AuthorizationRequestDenied, InvalidUser, MeRequiresDelegated, ResourceNotFound

READ_OTHER_USERS = frozenset({"User.ReadBasic.All", "User.Read.All"})


async def signed_in_user(rt: Runtime, caller: Principal, known: User | None = None) -> User:
    if not caller.is_delegated or caller.user_id is None:
        raise MeRequiresDelegated()
    if known is not None and known.id == caller.user_id:
        return known
    user = await directory.user_for_token(rt.db, caller.tenant_id, caller.user_id)
    if user is None:
        raise ResourceNotFound(caller.user_id)
    return user


async def directory_user(rt: Runtime, caller: Principal, ref: str) -> User:
    """A user resource (`/users/{ref}`) of the caller's tenant. As in Graph, reading another
    user's profile needs User.ReadBasic.All or User.Read.All; one's own needs nothing more."""
    user = await directory.find_user(rt.db, caller.tenant_id, ref)
    if user is None:
        raise ResourceNotFound(ref)
    if user.id != caller.user_id and not caller.permissions & READ_OTHER_USERS:
        raise AuthorizationRequestDenied()
    return user


async def mailbox_owner(rt: Runtime, caller: Principal, ref: str | None, known: User | None = None) -> User:
    """The owner of the mailbox a mail path names. A delegated caller reaches only its own
    mailbox (Graph: 403 for another user's); an application reaches any mailbox of its tenant."""
    if ref is None:
        return await signed_in_user(rt, caller, known)
    user = await directory.find_user(rt.db, caller.tenant_id, ref)
    if user is None:
        raise InvalidUser(ref)
    if caller.is_delegated and user.id != caller.user_id:
        raise AccessDenied()
    return user
