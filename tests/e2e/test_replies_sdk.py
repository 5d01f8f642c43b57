"""Replies, forwards, MIME and large attachments end to end with msgraph-sdk (v1.0): the SDK's own
`createReply` + `send`, `forward` with recipients, `$value` read back with the stdlib email
package, and a 10 MB file through msgraph-core's `LargeFileUploadTask`, against a real
`graphpost serve`."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from kiota_abstractions.api_error import APIError
from msgraph import GraphServiceClient
from msgraph.generated.models.attachment_item import AttachmentItem
from msgraph.generated.models.attachment_type import AttachmentType
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.file_attachment import FileAttachment
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.message import Message
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.users.item.messages.item.attachments.create_upload_session.create_upload_session_post_request_body import \
    CreateUploadSessionPostRequestBody
from msgraph.generated.users.item.messages.item.create_reply.create_reply_post_request_body import \
    CreateReplyPostRequestBody
from msgraph.generated.users.item.messages.item.forward.forward_post_request_body import ForwardPostRequestBody
from msgraph.generated.users.item.send_mail.send_mail_post_request_body import SendMailPostRequestBody
from msgraph_core.tasks.large_file_upload import LargeFileUploadTask

from tests.e2e.conftest import SdkClients
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e

ALICE, BOB, CAROL = "alice@contoso.test", "bob@contoso.test", "carol@contoso.test"
SUBJECT = "Venue contract"
NOTE = b"Clause 7 needs a second look.\n"
TEN_MB = 10 * 1024 * 1024
CHUNK = 3 * 1024 * 1024  # under the 4 MB a single request may carry


def recipients(*addresses: str) -> list[Recipient]:
    return [Recipient(email_address=EmailAddress(address=address)) for address in addresses]


async def folder_messages(client: GraphServiceClient, folder: str) -> list[Message]:
    page = await client.me.mail_folders.by_mail_folder_id(folder).messages.get()
    assert page is not None and page.value is not None
    return list(page.value)


async def only_message(client: GraphServiceClient, folder: str) -> Message:
    [message] = await folder_messages(client, folder)
    return message


async def file_attachments(client: GraphServiceClient, message_id: str) -> list[FileAttachment]:
    page = await client.me.messages.by_message_id(message_id).attachments.get()
    assert page is not None and page.value is not None
    assert all(isinstance(a, FileAttachment) for a in page.value), page.value
    return list(page.value)


async def mime_of(client: GraphServiceClient, message_id: str) -> EmailMessage:
    raw = await client.me.messages.by_message_id(message_id).content.get()
    assert isinstance(raw, bytes) and raw
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def mime_attachments(mime: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_payload(decode=True) for part in mime.iter_attachments()}


@pytest.fixture
def users(server: ServerProcess) -> ServerProcess:
    server.cli("user", "add", CAROL, "--name", "Carol Diaz")
    return server


async def test_sdk_reply_and_forward_keep_the_thread_and_the_attachment(users: ServerProcess, sdk: SdkClients) -> None:
    alice, bob, carol = (sdk.v1(users.token(upn)) for upn in (ALICE, BOB, CAROL))
    await alice.me.send_mail.post(SendMailPostRequestBody(message=Message(
        subject=SUBJECT,
        body=ItemBody(content_type=BodyType.Text, content="Please review the attached notes."),
        to_recipients=recipients(BOB),
        attachments=[FileAttachment(odata_type="#microsoft.graph.fileAttachment", name="notes.txt",
                                    content_type="text/plain", content_bytes=NOTE)],
    )))
    original = await only_message(bob, "inbox")
    assert original.subject == SUBJECT and original.has_attachments is True
    [attached] = await file_attachments(bob, original.id)
    assert (attached.name, attached.size, attached.content_bytes) == ("notes.txt", len(NOTE), NOTE)

    # createReply with a comment, then send the draft.
    draft = await bob.me.messages.by_message_id(original.id).create_reply.post(
        CreateReplyPostRequestBody(comment="Agreed, I will call them."))
    assert draft is not None and draft.is_draft is True
    assert draft.subject == f"RE: {SUBJECT}"
    assert [r.email_address.address for r in draft.to_recipients] == [ALICE]
    assert draft.conversation_id == original.conversation_id
    assert "Agreed, I will call them." in draft.body.content
    assert draft.has_attachments is False  # replies do not carry the original's attachments
    await bob.me.messages.by_message_id(draft.id).send.post()
    assert await folder_messages(bob, "drafts") == []

    reply = await only_message(alice, "inbox")
    assert reply.subject == f"RE: {SUBJECT}"
    assert reply.conversation_id == original.conversation_id
    assert reply.from_.email_address.address == BOB
    assert "Agreed, I will call them." in reply.body.content

    # The reply's MIME threads onto the original.
    reply_mime = await mime_of(alice, reply.id)
    assert reply_mime["Subject"] == f"RE: {SUBJECT}"
    assert reply_mime["In-Reply-To"] == original.internet_message_id
    assert original.internet_message_id in reply_mime["References"].split()
    assert reply_mime["Message-ID"] == reply.internet_message_id

    # The original's MIME carries its attachment.
    original_mime = await mime_of(bob, original.id)
    assert original_mime["Subject"] == SUBJECT
    assert mime_attachments(original_mime) == {"notes.txt": NOTE}

    # forward with a comment and a recipient: carol gets it with the attachment.
    await bob.me.messages.by_message_id(original.id).forward.post(ForwardPostRequestBody(
        comment="FYI, the contract we discussed.", to_recipients=recipients(CAROL)))
    forwarded = await only_message(carol, "inbox")
    assert forwarded.subject == f"FW: {SUBJECT}"
    assert forwarded.from_.email_address.address == BOB
    assert forwarded.has_attachments is True
    assert "FYI, the contract we discussed." in forwarded.body.content
    [carried] = await file_attachments(carol, forwarded.id)
    assert (carried.name, carried.content_bytes) == ("notes.txt", NOTE)
    forwarded_mime = await mime_of(carol, forwarded.id)
    assert mime_attachments(forwarded_mime) == {"notes.txt": NOTE}
    assert sorted(m.subject for m in await folder_messages(bob, "sentitems")) == [f"FW: {SUBJECT}", f"RE: {SUBJECT}"]


def ten_megabytes() -> bytes:
    """10 MB that are not all alike, so that a misplaced range changes the digest."""
    block = hashlib.sha256(b"graphpost").digest() * 2048  # 64 KiB
    return b"".join(bytes([i % 251]) + block[1:] for i in range(TEN_MB // len(block)))


async def attachment_value(http: httpx.AsyncClient, token: str, message_id: str, attachment_id: str) -> bytes:
    response = await http.get(f"/v1.0/me/messages/{message_id}/attachments/{attachment_id}/$value",
                              headers={"Authorization": f"Bearer {token}"}, timeout=60.0)
    assert response.status_code == 200, response.text
    return response.content


async def test_large_file_upload_task_attaches_ten_megabytes_that_go_out_with_the_draft(
        server: ServerProcess, sdk: SdkClients, http: httpx.AsyncClient) -> None:
    alice_token, bob_token = server.token(ALICE), server.token(BOB)
    alice, bob = sdk.v1(alice_token), sdk.v1(bob_token)
    data = ten_megabytes()
    assert len(data) == TEN_MB
    draft = await alice.me.messages.post(Message(
        subject="Site survey", body=ItemBody(content_type=BodyType.Text, content="The full survey."),
        to_recipients=recipients(BOB)))
    upload_session = await alice.me.messages.by_message_id(draft.id).attachments.create_upload_session.post(
        CreateUploadSessionPostRequestBody(attachment_item=AttachmentItem(
            attachment_type=AttachmentType.File, name="survey.bin", size=len(data),
            content_type="application/octet-stream")))
    assert upload_session is not None and upload_session.upload_url
    assert upload_session.next_expected_ranges

    task = LargeFileUploadTask(upload_session, alice.request_adapter, io.BytesIO(data), max_chunk_size=CHUNK)
    uploaded: list[Any] = []
    try:
        await task.upload(lambda uploaded_range: uploaded.append(uploaded_range))
        upload_error: APIError | None = None
    except APIError as error:
        # msgraph-core 1.5.2 PUTs the final range a second time after the 201 that completed the
        # upload (`last_chunk` at the end of `upload()`); the answer to that repeat must be a 2xx.
        # Everything else is checked before failing on it.
        upload_error = error
    assert len(uploaded) >= 3  # 3 MiB ranges

    [attachment] = await file_attachments(alice, draft.id)
    assert (attachment.name, attachment.size) == ("survey.bin", TEN_MB)
    assert await attachment_value(http, alice_token, draft.id, attachment.id) == data
    assert (await alice.me.messages.by_message_id(draft.id).get()).has_attachments is True

    await alice.me.messages.by_message_id(draft.id).send.post()
    received = await only_message(bob, "inbox")
    assert received.subject == "Site survey" and received.has_attachments is True
    [copy] = await file_attachments(bob, received.id)
    assert (copy.name, copy.size) == ("survey.bin", TEN_MB)
    assert await attachment_value(http, bob_token, received.id, copy.id) == data
    assert mime_attachments(await mime_of(bob, received.id)) == {"survey.bin": data}

    assert upload_error is None, (
        f"LargeFileUploadTask.upload() raised after the attachment was complete: {upload_error!r}. "
        "It repeats its final PUT (same Content-Range) after the 201; that repeat must answer 2xx.")
