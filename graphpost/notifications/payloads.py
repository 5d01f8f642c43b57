"""The bodies Graph POSTs to a notification endpoint: `{"value": [...]}` with one item per change
(Learn, "changeNotification resource type"; "Change notifications for Outlook resources") or
per lifecycle event (`lifecycleEvent` instead of `changeType`). Pure."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

from graphpost.store.notification_queue import QueuedNotification

# A stable id per queued notification: a retry carries the id of the first try, so that a
# receiver can tell a repeat from a new change.
_NAMESPACE = uuid.UUID("5d1f6c1e-4b7a-4f4e-9a53-0d6b0c3f7a21")


def graph_datetime(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _paths(item: QueuedNotification) -> tuple[str, str]:
    """The item's resource path as Graph writes it in a notification, and its @odata.type."""
    if item.item_kind == "folder":
        return f"Users/{item.user_id}/MailFolders/{item.item_id}", "#Microsoft.Graph.MailFolder"
    return f"Users/{item.user_id}/Messages/{item.item_id}", "#Microsoft.Graph.Message"


def change_item(item: QueuedNotification) -> dict[str, Any]:
    resource, odata_type = _paths(item)
    data: dict[str, Any] = {"@odata.type": odata_type, "@odata.id": resource}
    if item.change_key is not None:
        data["@odata.etag"] = f'W/"{item.change_key}"'
    data["id"] = item.item_id
    return {
        "id": str(uuid.uuid5(_NAMESPACE, f"{item.subscription_id}/{item.id}")),
        "subscriptionId": item.subscription_id,
        "subscriptionExpirationDateTime": graph_datetime(item.expires_at),
        "changeType": item.change_type,
        "resource": resource,
        "resourceData": data,
        "clientState": item.client_state,
        "tenantId": item.tenant_id,
    }


def lifecycle_item(item: QueuedNotification) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(_NAMESPACE, f"{item.subscription_id}/{item.id}")),
        "subscriptionId": item.subscription_id,
        "subscriptionExpirationDateTime": graph_datetime(item.expires_at),
        "lifecycleEvent": item.lifecycle_event,
        "clientState": item.client_state,
        "tenantId": item.tenant_id,
    }


def body(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"value": items}
