"""Reply, reply-all and forward: `createReply|createReplyAll|createForward` leave a draft (201),
`reply|replyAll|forward` send it at once (202). The draft is composed by graphpost.mail.compose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from graphpost.errors import ErrorInvalidParameter, RequestBodyRead
from graphpost.mail import compose, ids, mapping
from graphpost.mail.compose import Kind
from graphpost.mail.lookup import existing, now
from graphpost.mail.messages import new_draft
from graphpost.mail.model import parse_message
from graphpost.mail.submission import submit_draft
from graphpost.mail.types import MailboxOwner, Message
from graphpost.store import attachments as attachment_store
from graphpost.store import mailbox as store
from graphpost.store.database import Database
from graphpost.store.mailbox import MessageRow


@dataclass(frozen=True)
class ResponseRequest:
    """The body of a reply-family action: `comment`, `message`, and (forward) `toRecipients`."""
    comment: str | None
    message: dict[str, Any]
    to_recipients: list[dict[str, Any]] | None

    @classmethod
    def from_parameters(cls, parameters: dict[str, Any], kind: Kind) -> ResponseRequest:
        comment = parameters.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise RequestBodyRead("The parameter 'Comment' must be a string.")
        _, message = parse_message(parameters.get("message") or {})
        to_recipients = None
        if kind == "forward" and parameters.get("torecipients") is not None:
            if "toRecipients" in message:
                raise ErrorInvalidParameter("Give toRecipients either as a parameter or in the message, not both.")
            to_recipients = parse_message({"toRecipients": parameters["torecipients"]})[1]["toRecipients"]
        if comment and "body" in message:
            # Graph: the comment and message.body cannot be given together.
            raise ErrorInvalidParameter("The comment and the message body cannot both be specified.")
        return cls(comment, message, to_recipients)


async def _compose(conn: AsyncConnection, owner: MailboxOwner, message_id: str, kind: Kind,
                   request: ResponseRequest) -> MessageRow:
    original = await existing(conn, owner, message_id)
    at = now()
    fields = compose.reply_draft_fields(original, owner, kind, request.comment)
    # Properties in `message` replace the computed ones (a body given there is used as is).
    fields.update(request.message)
    if request.to_recipients is not None:
        fields["toRecipients"] = request.to_recipients
    draft = new_draft(owner, await store.folder_id_of(conn, owner.id, "drafts"), fields, at)
    compose.link_to_thread(draft, compose.thread_links(original, at))
    await store.insert_messages(conn, [draft])
    if kind == "forward":
        files = await attachment_store.attachments_of(conn, original.id)
        await attachment_store.copy_attachments(conn, files, draft.id, [ids.new_attachment_id() for _ in files])
        await attachment_store.refresh_has_attachments(conn, draft.id)
        draft.has_attachments = original.has_attachments
    return draft


async def create_response(db: Database, owner: MailboxOwner, message_id: str, kind: Kind,
                          request: ResponseRequest) -> Message:
    async with db.write() as conn:
        return mapping.message(await _compose(conn, owner, message_id, kind, request))


async def respond(db: Database, owner: MailboxOwner, message_id: str, kind: Kind, request: ResponseRequest,
                  outbox_state: str) -> None:
    """Compose and send in one transaction: either the reply goes out, or nothing is left behind."""
    async with db.write() as conn:
        draft = await _compose(conn, owner, message_id, kind, request)
        await submit_draft(conn, owner, draft, outbox_state)
