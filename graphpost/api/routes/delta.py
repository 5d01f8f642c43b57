"""Delta rounds: `…/mailFolders/{id}/messages/delta`, `…/mailFolders/delta` and
`…/mailFolders/{id}/childFolders/delta`, each also written `delta()` and
`microsoft.graph.delta()` (as the SDKs write it). The pages are mail/delta.py's; here they get
Graph's shape: `@odata.type` on every item, removed ones as `{"@odata.type", "id", "@removed":
{"reason": "deleted"}}`, and `@odata.nextLink` ($skiptoken) or, on a round's last page,
`@odata.deltaLink` ($deltatoken)."""

from __future__ import annotations

from typing import Any, Callable

from fastapi import APIRouter, Request

from graphpost.api import throttling, users
from graphpost.api.auth import authenticate
from graphpost.api.delta_query import DeltaQuery, delta_query
from graphpost.api.delta_tokens import DeltaToken, encode
from graphpost.api.mailbox import READ
from graphpost.api.prefer import preferences
from graphpost.api.resources import folder_resource, message_resource, server_root, service_root
from graphpost.api.responses import GraphJSONResponse
from graphpost.api.runtime import runtime_of
from graphpost.api.selection import select_folder, select_message
from graphpost.directory.types import User
from graphpost.mail import delta
from graphpost.mail.delta import DeltaPage, Removed

router = APIRouter()

# learn.microsoft.com/graph/api/message-delta: Mail.ReadBasic is enough (delegated; for an app,
# Mail.ReadBasic.All), and then the body is left out, as Mail.ReadBasic leaves it out everywhere.
READ_BASIC = ("Mail.ReadBasic", "Mail.ReadBasic.All")
_BASIC_HIDDEN = ("body", "bodyPreview", "uniqueBody")
MESSAGE_TYPE, FOLDER_TYPE = "#microsoft.graph.message", "#microsoft.graph.mailFolder"
NAMES = ("delta", "delta()", "microsoft.graph.delta()")


async def _owner(request: Request) -> tuple[User, bool]:
    """The mailbox's owner, and whether the caller may read message bodies."""
    caller = await authenticate(request)
    caller.require(*READ, *READ_BASIC)
    owner = await users.mailbox_owner(runtime_of(request), caller, request.path_params.get("user_ref"),
                                      getattr(request.state, "signed_in_user", None))
    throttling.admit(request, caller, owner.id, sending=False)
    return owner, bool(caller.permissions.intersection(READ))


def _link(request: Request, name: str, token: str) -> str:
    # The path as the client called it; every option lives in the token.
    return f"{str(request.url).split('?', 1)[0]}?{name}={token}"


def _answer(request: Request, query: DeltaQuery, page: DeltaPage[Any], entity: str,
            shape: Callable[[Any], dict[str, Any]]) -> GraphJSONResponse:
    items = [{"@odata.type": entity, "id": item.id, "@removed": {"reason": "deleted"}}
             if isinstance(item, Removed) else {"@odata.type": entity, **shape(item)} for item in page.items]
    token = encode(DeltaToken(page.state, query.options), request.app.state.signing_key)
    collection = "message" if entity == MESSAGE_TYPE else "mailFolder"
    body: dict[str, Any] = {"@odata.context": f"{service_root(request)}/$metadata#Collection({collection})"}
    if page.more:
        body["@odata.nextLink"] = _link(request, "$skiptoken", token)
    else:
        body["@odata.deltaLink"] = _link(request, "$deltatoken", token)
    body["value"] = items
    headers = preferences(request).applied()
    if query.page_size_preferred:
        applied = f"odata.maxpagesize={query.delta.page_size}"
        headers["Preference-Applied"] = ", ".join(filter(None, (headers.get("Preference-Applied"), applied)))
    return GraphJSONResponse(body, headers=headers)


def _retention(request: Request) -> float:
    return runtime_of(request).settings.change_retention.total_seconds()


async def message_delta(request: Request, folder_ref: str) -> GraphJSONResponse:
    owner, full = await _owner(request)
    query = delta_query(request, request.app.state.signing_key, messages=True)
    rt = runtime_of(request)
    page = await delta.message_round(rt.db, owner.id, folder_ref, query.state, query.delta, _retention(request))
    server, prefer = server_root(request), preferences(request)

    def shape(message: Any) -> dict[str, Any]:
        resource = select_message(message_resource(message, server, prefer), message, query.select)
        return resource if full else {key: value for key, value in resource.items() if key not in _BASIC_HIDDEN}

    return _answer(request, query, page, MESSAGE_TYPE, shape)


async def _folder_delta(request: Request, parent_ref: str | None) -> GraphJSONResponse:
    owner, _ = await _owner(request)
    query = delta_query(request, request.app.state.signing_key, messages=False)
    page = await delta.folder_round(runtime_of(request).db, owner.id, parent_ref, query.state, query.delta,
                                    _retention(request))
    return _answer(request, query, page, FOLDER_TYPE,
                   lambda folder: select_folder(folder_resource(folder), query.select))


async def folder_delta(request: Request) -> GraphJSONResponse:
    return await _folder_delta(request, None)


async def child_folder_delta(request: Request, folder_ref: str) -> GraphJSONResponse:
    return await _folder_delta(request, folder_ref)


for _name in NAMES:
    router.add_api_route(f"/mailFolders/{{folder_ref}}/messages/{_name}", message_delta, methods=["GET"])
    router.add_api_route(f"/mailFolders/{_name}", folder_delta, methods=["GET"])
    router.add_api_route(f"/mailFolders/{{folder_ref}}/childFolders/{_name}", child_folder_delta, methods=["GET"])
