"""The README's quick start with the unmodified msgraph-sdk: who am I, draft -> send, and the
recipient's Inbox. Tokens come from `graphpost token`; the base URL from GRAPHPOST_URL.

    GRAPHPOST_URL=http://127.0.0.1:8000 \
    ALICE_TOKEN=$(.venv/bin/graphpost token --user alice@contoso.test) \
    BOB_TOKEN=$(.venv/bin/graphpost token --user bob@contoso.test) \
    .venv/bin/python examples/msgraph_quickstart.py
"""

from __future__ import annotations

import asyncio
import os
from typing import Any
from urllib.parse import urlparse

from kiota_abstractions.authentication import (AccessTokenProvider, AllowedHostsValidator,
                                               BaseBearerTokenAuthenticationProvider)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.body_type import BodyType
from msgraph.generated.models.email_address import EmailAddress
from msgraph.generated.models.item_body import ItemBody
from msgraph.generated.models.message import Message
from msgraph.generated.models.recipient import Recipient
from msgraph.generated.users.item.mail_folders.item.messages.messages_request_builder import (
    MessagesRequestBuilder)


class StaticToken(AccessTokenProvider):
    """Hands the SDK a token minted by `graphpost token`."""

    def __init__(self, token: str, host: str) -> None:
        self.token, self.validator = token, AllowedHostsValidator([host])

    async def get_authorization_token(self, uri: str, additional_authentication_context: Any = None) -> str:
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self.validator


def graph_client(base_url: str, token: str) -> GraphServiceClient:
    host = urlparse(base_url).hostname or "127.0.0.1"
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticToken(token, host)))
    adapter.base_url = base_url.rstrip("/") + "/v1.0"
    return GraphServiceClient(request_adapter=adapter)


async def main() -> None:
    base = os.environ.get("GRAPHPOST_URL", "http://127.0.0.1:8000")
    alice = graph_client(base, os.environ["ALICE_TOKEN"])
    me = await alice.me.get()
    print(f"signed in as {me.display_name} <{me.mail}>")

    draft = await alice.me.messages.post(Message(
        subject="Hello from msgraph-sdk",
        body=ItemBody(content_type=BodyType.Html, content="<p>Sent through <b>graphpost</b>.</p>"),
        to_recipients=[Recipient(email_address=EmailAddress(address="bob@contoso.test"))],
    ))
    print(f"draft {draft.id[:16]}… in Drafts, isDraft={draft.is_draft}")
    await alice.me.messages.by_message_id(draft.id).send.post()
    print("sent (202 Accepted)")

    bob = graph_client(base, os.environ["BOB_TOKEN"])
    query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(top=5)
    config = MessagesRequestBuilder.MessagesRequestBuilderGetRequestConfiguration(query_parameters=query)
    inbox = await bob.me.mail_folders.by_mail_folder_id("inbox").messages.get(request_configuration=config)
    for message in inbox.value:
        print(f"bob's Inbox: {message.subject!r} from {message.from_.email_address.address}, "
              f"read={message.is_read}")


if __name__ == "__main__":
    asyncio.run(main())
