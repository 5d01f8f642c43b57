"""Which notification URLs a subscription may name. Graph requires HTTPS ("NotificationUrl
scheme='http' is not supported.", InvalidRequest). graphpost runs beside the code it serves, so
plain HTTP is also accepted for loopback receivers (localhost, 127.0.0.0/8, ::1), and for any
host when the operator allows it (`notification_allow_http`): a test's webhook on a free local
port needs no certificate."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from graphpost.errors import SubscriptionRequestInvalid


def _loopback(host: str) -> bool:
    if host.lower() in {"localhost", "localhost.localdomain"} or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Graph's words: "Invalid notification url='…'." and "NotificationUrl scheme='http' is not supported."
PROPERTY_NAMES = {"notification": "NotificationUrl", "lifecycle notification": "LifecycleNotificationUrl"}


def checked_url(url: object, kind: str, allow_http: bool) -> str:
    """The URL if a notification may be POSTed to it; else Graph's 400. `kind` is "notification"
    or "lifecycle notification"."""
    invalid = f"Invalid {kind} url='{url}'."
    if not isinstance(url, str) or not url.strip():
        raise SubscriptionRequestInvalid(invalid)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        raise SubscriptionRequestInvalid(invalid) from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname or parts.fragment:
        raise SubscriptionRequestInvalid(invalid)
    if parts.scheme.lower() == "http" and not allow_http and not _loopback(parts.hostname):
        raise SubscriptionRequestInvalid(f"{PROPERTY_NAMES[kind]} scheme='http' is not supported.")
    return url
