"""Graph resource shapes (camelCase JSON), built in one place."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from fastapi import Request

from graphpost.api.prefer import NONE as NO_PREFERENCES
from graphpost.api.prefer import Preferences
from graphpost.mail import body_types
from graphpost.store.attachments import AttachmentRow
from graphpost.store.directory import UserRow
from graphpost.store.mailbox import FolderRow, MessageRow


def service_root(request: Request) -> str:
    """`http://host:port/v1.0` or `/beta`, as the client called us."""
    version = request.url.path.lstrip("/").split("/", 1)[0]
    return f"{str(request.base_url).rstrip('/')}/{version}"


def owner_path(request: Request) -> str:
    """The mailbox part of an @odata.context, shaped like Graph's: users('me') or users('{ref}')."""
    ref = request.path_params.get("user_ref")
    return f"users('{ref}')" if ref else "users('me')"


def odata_context(request: Request, fragment: str) -> str:
    return f"{service_root(request)}/$metadata#{fragment}"


def user_resource(user: UserRow) -> dict[str, Any]:
    # Graph's default $select for a user: these properties, unset ones as null or [].
    return {
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": None,
        "jobTitle": None,
        "mail": user.mail,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": None,
        "surname": None,
        "userPrincipalName": user.user_principal_name,
        "id": user.id,
    }


def _timestamp(value: datetime | None) -> str | None:
    # Graph writes UTC with a Z and whole seconds. isoformat is faster than strftime, and a page
    # of messages formats four timestamps per message.
    if value is None:
        return None
    if value.tzinfo is not timezone.utc:
        value = value.astimezone(timezone.utc)
    return value.isoformat(timespec="seconds")[:19] + "Z"


# Ids are base64: only three of its characters need escaping in a URL, and three replaces do it
# several times faster than urllib's quote, which webLink would call for every message of a page.
_BASE64 = re.compile(r"[A-Za-z0-9_\-+/=]*")


def _quoted_id(item_id: str) -> str:
    if _BASE64.fullmatch(item_id):
        return item_id.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    return quote(item_id, safe="")


def message_resource(row: MessageRow, server: str, prefer: Preferences = NO_PREFERENCES) -> dict[str, Any]:
    """A message as Graph returns it by default (no uniqueBody or internetMessageHeaders), with
    the id kind and body format the request prefers."""
    data = row.data
    message_id = row.immutable_id if prefer.immutable_ids else row.id
    return {
        "@odata.etag": f'W/"{row.change_key}"',
        "id": message_id,
        "createdDateTime": _timestamp(row.created_at),
        "lastModifiedDateTime": _timestamp(row.modified_at),
        "changeKey": row.change_key,
        "categories": data.get("categories", []),
        "receivedDateTime": _timestamp(row.received_at),
        "sentDateTime": _timestamp(row.sent_at),
        "hasAttachments": row.has_attachments,
        "internetMessageId": row.internet_message_id,
        "subject": row.subject,
        "bodyPreview": data.get("bodyPreview", ""),
        "importance": row.importance,
        "parentFolderId": row.folder_id,
        "conversationId": row.conversation_id,
        "conversationIndex": data.get("conversationIndex"),
        "isDeliveryReceiptRequested": data.get("isDeliveryReceiptRequested", False),
        "isReadReceiptRequested": data.get("isReadReceiptRequested", False),
        "isRead": row.is_read,
        "isDraft": row.is_draft,
        "webLink": f"{server}/owa/?ItemID={_quoted_id(message_id)}&exvsurl=1&viewmodel=ReadMessageItem",
        "inferenceClassification": data.get("inferenceClassification", "focused"),
        "body": body_types.as_type(data.get("body"), prefer.body_type),
        "sender": data.get("sender"),
        "from": data.get("from"),
        "toRecipients": data.get("toRecipients", []),
        "ccRecipients": data.get("ccRecipients", []),
        "bccRecipients": data.get("bccRecipients", []),
        "replyTo": data.get("replyTo", []),
        "flag": data.get("flag", {"flagStatus": "notFlagged"}),
    }


def folder_resource(row: FolderRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "displayName": row.display_name,
        "parentFolderId": row.parent_id,
        "childFolderCount": row.child_count,
        "unreadItemCount": row.unread_count,
        "totalItemCount": row.total_count,
        "isHidden": row.is_hidden,
    }


def server_root(request: Request) -> str:
    return str(request.base_url).rstrip("/")


_ATTACHMENT_TYPES = {"file": "#microsoft.graph.fileAttachment", "item": "#microsoft.graph.itemAttachment",
                     "reference": "#microsoft.graph.referenceAttachment"}


def is_beta(request: Request) -> bool:
    return request.url.path.startswith("/beta/")


# Beta's referenceAttachment has these; v1.0's has only what every attachment has.
_REFERENCE_BETA = ("sourceUrl", "providerType", "thumbnailUrl", "previewUrl", "permission", "isFolder")


def attachment_resource(row: AttachmentRow, content: bytes, beta: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"@odata.type": _ATTACHMENT_TYPES[row.kind]}
    if row.kind == "file":
        body["@odata.mediaContentType"] = row.content_type
    body.update({
        "id": row.id,
        "lastModifiedDateTime": _timestamp(row.modified_at),
        "name": row.name,
        "contentType": row.content_type,
        "size": row.size,
        "isInline": row.is_inline,
    })
    if row.kind == "file":
        body.update({"contentId": row.content_id, "contentLocation": None,
                     "contentBytes": base64.b64encode(content).decode()})
    elif row.kind == "reference" and beta:
        body.update({key: row.data.get(key) for key in _REFERENCE_BETA})
    return body
