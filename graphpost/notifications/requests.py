"""What a client asks for in POST /subscriptions and PATCH /subscriptions/{id}, checked as Graph
checks it (Learn: "subscription resource type", "Create subscription"). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from graphpost.errors import SubscriptionExtensionError, SubscriptionRequestInvalid
from graphpost.notifications.encryption import parse_encryption_certificate
from graphpost.notifications.resources import WatchedResource, parse_resource
from graphpost.notifications.urls import checked_url

CHANGE_TYPES = ("created", "updated", "deleted")
# Outlook message and folder subscriptions: at most 10,080 minutes (under 7 days) ahead; Graph
# raises anything under 45 minutes to 45 minutes (Learn, "subscription resource type").
MAX_LIFETIME = timedelta(minutes=10080)
MIN_LIFETIME = timedelta(minutes=45)
# With includeResourceData, Outlook messages: at most 1,440 minutes (Learn's lifetime table, as
# 2025-26 notes quote it; unconfirmed against a primary copy here).
MAX_RICH_LIFETIME = timedelta(minutes=1440)
CLIENT_STATE_MAX = 128
CERTIFICATE_ID_MAX = 128
TLS_VERSIONS = ("v1_0", "v1_1", "v1_2", "v1_3")
# Properties the caller may set on create; the rest of the resource is Graph's to fill.
_WRITABLE = {"changeType", "notificationUrl", "resource", "expirationDateTime", "clientState",
             "lifecycleNotificationUrl", "includeResourceData", "encryptionCertificate", "encryptionCertificateId",
             "latestSupportedTlsVersion", "notificationUrlAppId", "notificationQueryOptions", "@odata.type"}


@dataclass(frozen=True)
class SubscriptionRequest:
    change_types: frozenset[str]
    notification_url: str
    lifecycle_url: str | None
    resource: str
    watched: WatchedResource
    expires_at: datetime
    client_state: str | None
    include_resource_data: bool
    encryption_certificate: str | None
    encryption_certificate_id: str | None
    latest_tls: str


def _required(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value is None or value == "":
        raise SubscriptionRequestInvalid(f"Property '{name}' is required.")
    return value


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise SubscriptionRequestInvalid(f"Property '{name}' must be a string.")
    return value or None


def change_types(value: object) -> frozenset[str]:
    if not isinstance(value, str):
        raise SubscriptionRequestInvalid("Property 'changeType' must be a string.")
    names = [part.strip() for part in value.split(",")]
    unknown = [name for name in names if name not in CHANGE_TYPES]
    if unknown or not names:
        raise SubscriptionRequestInvalid(f"Invalid 'changeType' attribute: '{unknown[0] if unknown else value}'.")
    return frozenset(names)


def expiration(value: object, now: datetime, longest: timedelta = MAX_LIFETIME) -> datetime:
    """The expiry Graph would keep: refused in the past or past the maximum, raised to 45 minutes."""
    if not isinstance(value, str):
        raise SubscriptionRequestInvalid("Property 'expirationDateTime' must be a date and time.")
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise SubscriptionRequestInvalid(f"Cannot convert the literal '{value}' to the expected type "
                                         "'Edm.DateTimeOffset'.") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    if when <= now:
        raise SubscriptionExtensionError("Subscription expiration can only be in the future.")
    check_longest(when, now, longest)
    return max(when, now + MIN_LIFETIME)


def check_longest(when: datetime, now: datetime, longest: timedelta) -> None:
    if when - now > longest:
        minutes = int(longest.total_seconds() // 60)
        raise SubscriptionExtensionError(f"Subscription expiration can only be {minutes} minutes in the future.")


def parse_create(body: dict[str, Any], now: datetime, allow_http: bool) -> SubscriptionRequest:
    unknown = sorted(set(body) - _WRITABLE)
    if unknown:
        raise SubscriptionRequestInvalid(f"Property '{unknown[0]}' cannot be set when creating a subscription.")
    types = change_types(_required(body, "changeType"))
    url = checked_url(_required(body, "notificationUrl"), "notification", allow_http)
    resource = _required(body, "resource")
    if not isinstance(resource, str):
        raise SubscriptionRequestInvalid("Property 'resource' must be a string.")
    lifecycle = body.get("lifecycleNotificationUrl")
    client_state = _optional_text(body, "clientState")
    if client_state is not None and len(client_state) > CLIENT_STATE_MAX:
        raise SubscriptionRequestInvalid(f"The clientState can be at most {CLIENT_STATE_MAX} characters long.")
    rich = body.get("includeResourceData", False)
    if not isinstance(rich, bool):
        raise SubscriptionRequestInvalid("Property 'includeResourceData' must be a boolean.")
    certificate = _optional_text(body, "encryptionCertificate")
    certificate_id = _optional_text(body, "encryptionCertificateId")
    if rich and (certificate is None or certificate_id is None):
        raise SubscriptionRequestInvalid("An encryptionCertificate and an encryptionCertificateId are required "
                                         "when includeResourceData is true.")
    if certificate_id is not None and len(certificate_id) > CERTIFICATE_ID_MAX:
        raise SubscriptionRequestInvalid(f"The encryptionCertificateId can be at most {CERTIFICATE_ID_MAX} "
                                         "characters long.")
    if certificate is not None:
        parse_encryption_certificate(certificate)  # 400 ValidationError for what is no RSA certificate
    expires_at = expiration(_required(body, "expirationDateTime"), now,
                            MAX_RICH_LIFETIME if rich else MAX_LIFETIME)
    tls = body.get("latestSupportedTlsVersion") or "v1_2"
    if tls not in TLS_VERSIONS:
        raise SubscriptionRequestInvalid(f"Invalid latestSupportedTlsVersion '{tls}'.")
    return SubscriptionRequest(
        change_types=types, notification_url=url,
        lifecycle_url=None if lifecycle is None else checked_url(lifecycle, "lifecycle notification", allow_http),
        resource=resource, watched=parse_resource(resource), expires_at=expires_at, client_state=client_state,
        include_resource_data=rich, encryption_certificate=certificate, encryption_certificate_id=certificate_id,
        latest_tls=tls)


def parse_renewal(body: dict[str, Any], now: datetime) -> datetime:
    """PATCH renews: expirationDateTime is what may change (notificationUrl too in Graph, not here)."""
    unknown = sorted(set(body) - {"expirationDateTime", "@odata.type"})
    if unknown:
        raise SubscriptionRequestInvalid(f"Property '{unknown[0]}' cannot be updated; only expirationDateTime can.")
    return expiration(_required(body, "expirationDateTime"), now)
