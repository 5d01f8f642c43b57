"""Graph resource shapes (camelCase JSON), built in one place from the domain's values
(mail/types.py, directory/types.py): the HTTP shape is made here and nowhere else."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from fastapi import Request

from graphpost.api.prefer import NONE as NO_PREFERENCES
from graphpost.api.prefer import Preferences
from graphpost.directory.types import User
from graphpost.mail import body_types
from graphpost.mail.types import Attachment, Body, Flag, Folder, Message, Recipient
from graphpost.notifications.subscriptions import Subscription


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


def user_resource(user: User) -> dict[str, Any]:
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
    # Graph writes UTC with a Z and whole seconds. A page of messages formats four timestamps per
    # message: %-formatting the fields takes 60% of the time of isoformat (which also writes an
    # offset only to cut it off), itself faster than strftime.
    if value is None:
        return None
    if value.tzinfo is not timezone.utc:
        value = value.astimezone(timezone.utc)
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (value.year, value.month, value.day, value.hour, value.minute,
                                               value.second)


# Ids are base64: only three of its characters need escaping in a URL, and three replaces do it
# several times faster than urllib's quote, which webLink would call for every message of a page.
_BASE64 = re.compile(r"[A-Za-z0-9_\-+/=]*")


def _quoted_id(item_id: str) -> str:
    if _BASE64.fullmatch(item_id):
        return item_id.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    return quote(item_id, safe="")


def _recipient(recipient: Recipient | None) -> dict[str, Any] | None:
    if recipient is None:
        return None
    return {"emailAddress": {"name": recipient.name, "address": recipient.address}}


def _recipients(recipients: list[Recipient]) -> list[dict[str, Any]]:
    return [{"emailAddress": {"name": item.name, "address": item.address}} for item in recipients]


def _body(body: Body | None) -> dict[str, Any] | None:
    return None if body is None else {"contentType": body.content_type, "content": body.content}


def _flag(flag: Flag) -> dict[str, Any]:
    if flag.start is None and flag.due is None and flag.completed is None:  # nearly every message
        return {"flagStatus": flag.status}
    shown: dict[str, Any] = {"flagStatus": flag.status}
    # Graph leaves unset flag dates out rather than writing them as null.
    for key, value in (("startDateTime", flag.start), ("dueDateTime", flag.due),
                       ("completedDateTime", flag.completed)):
        if value is not None:
            shown[key] = {"dateTime": value.date_time, "timeZone": value.time_zone}
    return shown


def message_resource(message: Message, server: str, prefer: Preferences = NO_PREFERENCES) -> dict[str, Any]:
    """A message as Graph returns it by default (no uniqueBody or internetMessageHeaders), with
    the id kind and body format the request prefers."""
    message_id = message.immutable_id if prefer.immutable_ids else message.id
    return {
        "@odata.etag": f'W/"{message.change_key}"',
        "id": message_id,
        "createdDateTime": _timestamp(message.created_at),
        "lastModifiedDateTime": _timestamp(message.modified_at),
        "changeKey": message.change_key,
        "categories": message.categories,
        "receivedDateTime": _timestamp(message.received_at),
        "sentDateTime": _timestamp(message.sent_at),
        "hasAttachments": message.has_attachments,
        "internetMessageId": message.internet_message_id,
        "subject": message.subject,
        "bodyPreview": message.body_preview,
        "importance": message.importance,
        "parentFolderId": message.folder_id,
        "conversationId": message.conversation_id,
        "conversationIndex": message.conversation_index,
        "isDeliveryReceiptRequested": message.is_delivery_receipt_requested,
        "isReadReceiptRequested": message.is_read_receipt_requested,
        "isRead": message.is_read,
        "isDraft": message.is_draft,
        "webLink": f"{server}/owa/?ItemID={_quoted_id(message_id)}&exvsurl=1&viewmodel=ReadMessageItem",
        "inferenceClassification": message.inference_classification,
        "body": _body(message.body if prefer.body_type is None else body_types.as_type(message.body, prefer.body_type)),
        "sender": _recipient(message.sender),
        "from": _recipient(message.from_),
        "toRecipients": _recipients(message.to_recipients),
        "ccRecipients": _recipients(message.cc_recipients),
        "bccRecipients": _recipients(message.bcc_recipients),
        "replyTo": _recipients(message.reply_to),
        "flag": _flag(message.flag),
    }


def message_headers(message: Message) -> list[dict[str, str]]:
    """internetMessageHeaders, which only a $select brings."""
    return [{"name": header.name, "value": header.value} for header in message.internet_message_headers]


def folder_resource(folder: Folder) -> dict[str, Any]:
    return {
        "id": folder.id,
        "displayName": folder.display_name,
        "parentFolderId": folder.parent_id,
        "childFolderCount": folder.child_count,
        "unreadItemCount": folder.unread_count,
        "totalItemCount": folder.total_count,
        "isHidden": folder.is_hidden,
    }


def server_root(request: Request) -> str:
    return str(request.base_url).rstrip("/")


_ATTACHMENT_TYPES = {"file": "#microsoft.graph.fileAttachment", "item": "#microsoft.graph.itemAttachment",
                     "reference": "#microsoft.graph.referenceAttachment"}


def is_beta(request: Request) -> bool:
    return request.url.path.startswith("/beta/")


def attachment_resource(attachment: Attachment, content: bytes, beta: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"@odata.type": _ATTACHMENT_TYPES[attachment.kind]}
    if attachment.kind == "file":
        body["@odata.mediaContentType"] = attachment.content_type
    body.update({
        "id": attachment.id,
        "lastModifiedDateTime": _timestamp(attachment.modified_at),
        "name": attachment.name,
        "contentType": attachment.content_type,
        "size": attachment.size,
        "isInline": attachment.is_inline,
    })
    if attachment.kind == "file":
        body.update({"contentId": attachment.content_id, "contentLocation": None,
                     "contentBytes": base64.b64encode(content).decode()})
    elif attachment.kind == "reference" and beta and attachment.reference is not None:
        # Beta's referenceAttachment has these; v1.0's has only what every attachment has.
        reference = attachment.reference
        body.update({"sourceUrl": reference.source_url, "providerType": reference.provider_type,
                     "thumbnailUrl": reference.thumbnail_url, "previewUrl": reference.preview_url,
                     "permission": reference.permission, "isFolder": reference.is_folder})
    return body


def subscription_resource(subscription: Subscription) -> dict[str, Any]:
    # Graph's subscription resource, every property present (unset ones null), as the SDKs read it.
    return {
        "id": subscription.id,
        "resource": subscription.resource,
        "applicationId": subscription.application_id,
        "changeType": subscription.change_type,
        "clientState": subscription.client_state,
        "notificationUrl": subscription.notification_url,
        "notificationQueryOptions": None,
        "lifecycleNotificationUrl": subscription.lifecycle_url,
        "expirationDateTime": subscription.expires_at.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "creatorId": subscription.creator_id,
        "includeResourceData": subscription.include_resource_data,
        "latestSupportedTlsVersion": subscription.latest_tls,
        "encryptionCertificate": subscription.encryption_certificate,
        "encryptionCertificateId": subscription.encryption_certificate_id,
        "notificationUrlAppId": None,
    }
