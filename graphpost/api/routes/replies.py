"""createReply, createReplyAll, createForward (201, a draft) and reply, replyAll, forward (202, sent)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from graphpost.api.bodies import action_parameters, optional_json_object
from graphpost.api.mailbox import Rt, Sender, Writer
from graphpost.api.routes.messages import entity
from graphpost.mail import replies
from graphpost.mail.compose import Kind

router = APIRouter()
KINDS: dict[str, Kind] = {"Reply": "reply", "ReplyAll": "replyAll", "Forward": "forward"}


async def _request(request: Request, kind: Kind) -> replies.ResponseRequest:
    parameters: dict[str, Any] = action_parameters(await optional_json_object(request))
    return replies.ResponseRequest.from_parameters(parameters, kind)


def _routes(action: str, kind: Kind) -> None:
    @router.post(f"/messages/{{message_id}}/create{action}", status_code=201, name=f"create{action}")
    async def create(request: Request, message_id: str, owner: Writer, rt: Rt) -> Response:
        draft = await replies.create_response(rt.db, owner, message_id, kind, await _request(request, kind))
        return entity(request, draft, 201)

    @router.post(f"/messages/{{message_id}}/{action[0].lower() + action[1:]}", status_code=202, name=action)
    async def send(request: Request, message_id: str, owner: Sender, rt: Rt) -> Response:
        await replies.respond(rt.db, owner, message_id, kind, await _request(request, kind), rt.outbox_state)
        return Response(status_code=202)


for _action, _kind in KINDS.items():
    _routes(_action, _kind)
