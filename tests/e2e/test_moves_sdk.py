"""Move, copy, immutable ids and the body-format preference end to end with msgraph-sdk (v1.0)
against a real `graphpost serve`, on SQLite and PostgreSQL: the SDK's own `move`/`copy` request
builders, and request headers set through its RequestConfiguration as a user would."""

from __future__ import annotations

import pytest
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.headers_collection import HeadersCollection
from msgraph import GraphServiceClient
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.message import Message
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.users.item.messages.item.copy.copy_post_request_body import CopyPostRequestBody
from msgraph.generated.users.item.messages.item.move.move_post_request_body import MovePostRequestBody

from tests.e2e.conftest import SdkClients
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e

ALICE, BOB = "alice@contoso.test", "bob@contoso.test"


def preferring(*preferences: str) -> RequestConfiguration:
    headers = HeadersCollection()
    for preference in preferences:
        headers.add("Prefer", preference)
    return RequestConfiguration(headers=headers)


async def folder_count(client: GraphServiceClient, folder: str) -> int:
    found = await client.me.mail_folders.by_mail_folder_id(folder).get()
    assert found is not None and found.total_item_count is not None
    return found.total_item_count


async def test_sdk_moves_and_copies_a_message_between_folders(server_on_each_backend: ServerProcess) -> None:
    server = server_on_each_backend
    sdk = SdkClients(server)
    try:
        alice = sdk.v1(server.token(ALICE))
        draft = await alice.me.messages.post(Message(
            subject="Board pack", body=ItemBody(content_type=BodyType.Html, content="<p>Agenda <b>v2</b></p>"),
            to_recipients=[Recipient(email_address=EmailAddress(address=BOB))]))
        assert draft is not None and draft.id
        archive = await alice.me.mail_folders.by_mail_folder_id("archive").get()
        assert archive is not None

        moved = await alice.me.messages.by_message_id(draft.id).move.post(MovePostRequestBody(destination_id="archive"))
        assert moved is not None and moved.id and moved.id != draft.id
        assert moved.parent_folder_id == archive.id and moved.subject == "Board pack"
        with pytest.raises(APIError) as gone:
            await alice.me.messages.by_message_id(draft.id).get()
        assert gone.value.response_status_code == 404

        copied = await alice.me.messages.by_message_id(moved.id).copy.post(
            CopyPostRequestBody(destination_id="inbox"))
        assert copied is not None and copied.id not in (moved.id, draft.id)
        assert await folder_count(alice, "archive") == 1
        assert await folder_count(alice, "inbox") == 1
        assert await folder_count(alice, "drafts") == 0

        # Immutable ids, asked for through the SDK's request configuration, survive a move.
        immutable = preferring('IdType="ImmutableId"')
        stable = await alice.me.messages.by_message_id(moved.id).get(request_configuration=immutable)
        assert stable is not None and stable.id and stable.id.startswith("AAkALg")
        again = await alice.me.messages.by_message_id(stable.id).move.post(
            MovePostRequestBody(destination_id="drafts"), request_configuration=immutable)
        assert again is not None and again.id == stable.id
        assert await folder_count(alice, "drafts") == 1

        as_text = await alice.me.messages.by_message_id(stable.id).get(
            request_configuration=preferring('outlook.body-content-type="text"'))
        assert as_text is not None and as_text.body is not None
        assert as_text.body.content_type == BodyType.Text and as_text.body.content == "Agenda v2"
    finally:
        await sdk.aclose()
