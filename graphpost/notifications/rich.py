"""Rich notifications: for a subscription with includeResourceData, each change of a message
carries the message itself, encrypted for the subscription's certificate (`encryptedContent`,
notifications/encryption.py), and the POST carries `validationTokens` by which the receiver
knows graphpost sent it (notifications/validation_tokens.py). A deleted message has no content
left to send: its item goes as a plain one, as Graph sends deletions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from graphpost.auth.keys import SigningKey
from graphpost.mail import mapping
from graphpost.mail.types import Message
from graphpost.notifications.encryption import encrypted_content
from graphpost.notifications.validation_tokens import validation_tokens
from graphpost.store import mailbox as mailbox_store
from graphpost.store.database import Database
from graphpost.store.notification_queue import QueuedNotification

# Graph's JSON of a message: the HTTP edge's rendering, handed down by `serve` (api/resources.py).
RenderMessage = Callable[[Message], dict[str, Any]]


# What Graph keeps in a rich notification's resource whatever the $select.
_ALWAYS = ("@odata.type", "@odata.id", "@odata.etag", "id")


def selected(resource: dict[str, Any], subscribed: str) -> dict[str, Any]:
    """The message as the subscription's resource selects it (`…/messages?$select=subject,from`;
    Outlook's rich notifications are asked with one), all of it without a $select."""
    query = parse_qs(urlsplit(subscribed).query)
    names = [name.strip().lower() for value in query.get("$select", []) for name in value.split(",") if name.strip()]
    if not names:
        return resource
    return {key: value for key, value in resource.items() if key in _ALWAYS or key.lower() in names}


class RichContent:
    def __init__(self, db: Database, render: RenderMessage, key: SigningKey) -> None:
        self.db = db
        self.render = render
        self.key = key

    async def add(self, items: list[QueuedNotification], body: dict[str, Any]) -> None:
        """Add `encryptedContent` to the items of `body` (in the order of `items`) whose
        subscription asked for resource data, and `validationTokens` when any did."""
        rich = [(index, item) for index, item in enumerate(items)
                if item.include_resource_data and item.item_kind == "message" and item.change_type != "deleted"
                and item.encryption_certificate and item.encryption_certificate_id]
        if not rich:
            return
        async with self.db.read() as conn:
            rows = {item.id: await mailbox_store.message(conn, item.user_id, item.item_id or "") for _, item in rich}
        for index, item in rich:
            row = rows[item.id]
            if row is None:
                continue  # gone since: nothing to encrypt
            typed = {"@odata.type": "#Microsoft.Graph.Message",
                     "@odata.id": f"Users/{item.user_id}/Messages/{item.item_id}", **self.render(mapping.message(row))}
            resource = selected(typed, item.resource)
            # AES, HMAC and one RSA operation per item: CPU work, kept off the event loop.
            body["value"][index]["encryptedContent"] = await asyncio.to_thread(
                encrypted_content, resource, item.encryption_certificate or "", item.encryption_certificate_id or "")
        body["validationTokens"] = validation_tokens(
            self.key, [(item.tenant_id, item.application_id) for _, item in rich], datetime.now(timezone.utc))
