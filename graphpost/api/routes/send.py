"""Sending: POST …/messages/{id}/send and POST …/sendMail. Both answer 202 with an empty body,
and only after the submission is committed."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from graphpost import metrics
from graphpost.api.bodies import action_parameters, is_mime, json_object, no_body
from graphpost.api.mailbox import SEND, Rt, Sender, mailbox_owner
from graphpost.api.runtime import runtime_of
from graphpost.errors import ErrorInvalidParameter
from graphpost.mail import content, submission

router = APIRouter()


@router.post("/messages/{message_id}/send", status_code=202)
async def send_draft(request: Request, message_id: str, owner: Sender, rt: Rt) -> Response:
    await no_body(request)
    await submission.send_draft(rt.db, owner, message_id, rt.outbox_state, rt.submissions.known)
    metrics.drafts_sent.inc()
    return Response(status_code=202)


@router.post("/sendMail", status_code=202)
async def send_mail(request: Request) -> Response:
    # No dependencies: this is the busiest route, and FastAPI's solving of each one costs.
    owner = await mailbox_owner(request, SEND)
    rt = runtime_of(request)
    if is_mime(request):
        # A MIME sendMail is always saved to Sent Items (it has no saveToSentItems to say otherwise).
        await rt.submissions.send_mail(owner, await content.read_base64_mime(await request.body()), True)
        metrics.send_mail_accepted.inc()
        return Response(status_code=202)
    parameters = action_parameters(await json_object(request))
    message = parameters.get("message")
    if message is None:
        raise ErrorInvalidParameter("The value of the parameter 'Message' is empty.")
    save = parameters.get("savetosentitems", True)
    if save is None:
        save = True
    if not isinstance(save, bool):
        raise ErrorInvalidParameter("The value of the parameter 'SaveToSentItems' must be a boolean.")
    await rt.submissions.send_mail(owner, await content.read_json(message), save)
    metrics.send_mail_accepted.inc()
    return Response(status_code=202)
