"""What the mail API tests share: a mailbox as a client reaches it (path and token), drafts, and
the state of its folders as Graph reports it."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx

from tests.tokens import TokenMint

ALICE, BOB, CAROL = "alice@contoso.test", "bob@contoso.test", "carol@contoso.test"
# Every property of a default GET of a message (Graph leaves out uniqueBody and internetMessageHeaders).
MESSAGE_KEYS = {
    "@odata.context", "@odata.etag", "id", "createdDateTime", "lastModifiedDateTime", "changeKey", "categories",
    "receivedDateTime", "sentDateTime", "hasAttachments", "internetMessageId", "subject", "bodyPreview",
    "importance", "parentFolderId", "conversationId", "conversationIndex", "isDeliveryReceiptRequested",
    "isReadReceiptRequested", "isRead", "isDraft", "webLink", "inferenceClassification", "body", "sender", "from",
    "toRecipients", "ccRecipients", "bccRecipients", "replyTo", "flag",
}


# A file attachment as Graph returns it (POST, GET one, or in the list).
FILE_ATTACHMENT_KEYS = {"@odata.type", "@odata.mediaContentType", "id", "lastModifiedDateTime", "name", "contentType",
                        "size", "isInline", "contentId", "contentLocation", "contentBytes"}
FILE_ATTACHMENT = "#microsoft.graph.fileAttachment"
ITEM_ATTACHMENT = "#microsoft.graph.itemAttachment"
REFERENCE_ATTACHMENT = "#microsoft.graph.referenceAttachment"


def file_attachment(name: str, content: bytes, content_type: str = "application/octet-stream",
                    **extra: Any) -> dict[str, Any]:
    """A fileAttachment as a client posts it (contentBytes in base64)."""
    return {"@odata.type": FILE_ATTACHMENT, "name": name, "contentType": content_type,
            "contentBytes": base64.b64encode(content).decode(), **extra}


def content_of(attachment: dict[str, Any]) -> bytes:
    return base64.b64decode(attachment["contentBytes"])


def parse_mime(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def recipients(*addresses: str) -> list[dict[str, Any]]:
    return [{"emailAddress": {"address": address}} for address in addresses]


def addresses(recipient_list: list[dict[str, Any]]) -> list[str]:
    return [item["emailAddress"]["address"].lower() for item in recipient_list]


def entity(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource without its @odata.context, to compare one read alone with one read in a collection."""
    return {key: value for key, value in resource.items() if key != "@odata.context"}


def assert_error_status(response: httpx.Response, status: int) -> dict[str, Any]:
    """Graph's error envelope with this status, for cases where Graph's exact code is not known."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] and body["error"]["message"], body
    return body["error"]


@dataclass(frozen=True)
class Mailbox:
    """One user's mailbox as a client reaches it: `/v1.0/me` with a delegated token, or
    `/beta/users/{upn}` with an application token."""

    client: httpx.AsyncClient
    path: str
    headers: dict[str, str]

    async def request(self, method: str, tail: str, headers: dict[str, str] | None = None,
                      **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, f"{self.path}/{tail}", headers={**self.headers, **(headers or {})},
                                         **kwargs)

    async def get(self, tail: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", tail, **kwargs)

    async def post(self, tail: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", tail, **kwargs)

    async def patch(self, tail: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", tail, **kwargs)

    async def delete(self, tail: str) -> httpx.Response:
        return await self.request("DELETE", tail)

    async def folder(self, name: str) -> dict[str, Any]:
        response = await self.get(f"mailFolders/{name}")
        assert response.status_code == 200, response.text
        return response.json()

    async def counts(self, name: str) -> tuple[int, int]:
        """(totalItemCount, unreadItemCount) of a folder."""
        folder = await self.folder(name)
        return folder["totalItemCount"], folder["unreadItemCount"]

    async def messages_in(self, name: str) -> list[dict[str, Any]]:
        response = await self.get(f"mailFolders/{name}/messages", params={"$top": "100"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert "@odata.nextLink" not in body
        return body["value"]

    async def create_draft(self, **message: Any) -> dict[str, Any]:
        response = await self.post("messages", json=message)
        assert response.status_code == 201, response.text
        return response.json()

    async def send(self, message_id: str) -> httpx.Response:
        # As the SDKs do it: no body, Content-Length: 0 (httpx sends that for an empty POST).
        return await self.post(f"messages/{message_id}/send")

    async def send_mail(self, message: dict[str, Any], **parameters: Any) -> httpx.Response:
        return await self.post("sendMail", json={"message": message, **parameters})

    async def message(self, message_id: str) -> dict[str, Any]:
        response = await self.get(f"messages/{message_id}")
        assert response.status_code == 200, response.text
        return response.json()

    async def only_message_in(self, name: str) -> dict[str, Any]:
        found = await self.messages_in(name)
        assert len(found) == 1, [message["subject"] for message in found]
        return found[0]

    async def attachments(self, message_id: str) -> list[dict[str, Any]]:
        response = await self.get(f"messages/{message_id}/attachments")
        assert response.status_code == 200, response.text
        return response.json()["value"]

    async def add_attachment(self, message_id: str, attachment: dict[str, Any]) -> dict[str, Any]:
        response = await self.post(f"messages/{message_id}/attachments", json=attachment)
        assert response.status_code == 201, response.text
        return response.json()

    async def attachment_value(self, message_id: str, attachment_id: str) -> bytes:
        response = await self.get(f"messages/{message_id}/attachments/{attachment_id}/$value")
        assert response.status_code == 200, response.text
        return response.content

    async def mime(self, message_id: str) -> bytes:
        """`GET …/messages/{id}/$value`: the message as RFC 5322 bytes."""
        response = await self.get(f"messages/{message_id}/$value")
        assert response.status_code == 200, response.text
        return response.content

    async def post_mime(self, tail: str, raw: bytes) -> httpx.Response:
        """POST a MIME message the way Graph takes it: base64, declared text/plain."""
        return await self.post(tail, content=base64.b64encode(raw), headers={"Content-Type": "text/plain"})


async def delegated(client: httpx.AsyncClient, tokens: TokenMint, upn: str = ALICE, version: str = "v1.0",
                    scopes: tuple[str, ...] = ("Mail.ReadWrite", "Mail.Send")) -> Mailbox:
    return Mailbox(client, f"/{version}/me", await tokens.header(upn, scopes=scopes))


async def as_application(client: httpx.AsyncClient, tokens: TokenMint, upn: str = ALICE, version: str = "v1.0",
                         permissions: tuple[str, ...] = ("Mail.ReadWrite", "Mail.Send"),
                         domain: str | None = None) -> Mailbox:
    token = await tokens.app(permissions, domain=domain)
    return Mailbox(client, f"/{version}/users/{upn}", {"Authorization": f"Bearer {token}"})


async def mailbox_via(client: httpx.AsyncClient, tokens: TokenMint, via: str, upn: str = ALICE) -> Mailbox:
    """`via` is "v1.0/me", "beta/me", "v1.0/users" or "beta/users"."""
    version, kind = via.split("/")
    if kind == "me":
        return await delegated(client, tokens, upn, version)
    return await as_application(client, tokens, upn, version)


MAILBOX_PATHS = ["v1.0/me", "beta/me", "v1.0/users", "beta/users"]
