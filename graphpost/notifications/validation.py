"""The validation of a notification endpoint, as Graph does it before it creates a subscription
(Learn, "Receive change notifications through webhooks", notificationUrl validation): a POST to
the URL with `validationToken` added to its query (the query it has is kept), which must be
answered within 10 seconds with 200 OK, `Content-Type: text/plain` and the token, decoded, as
the body. Else the subscription is refused: ValidationError, or InvalidRequest on a timeout."""

from __future__ import annotations

import logging
import uuid
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from graphpost.errors import SubscriptionRequestInvalid, SubscriptionValidationFailed

log = logging.getLogger("graphpost.notifications")
TIMEOUT_SECONDS = 10.0


class EndpointValidator(Protocol):
    async def __call__(self, url: str) -> None: ...


def with_query(url: str, **params: str) -> str:
    """The URL with these query parameters added after those it has."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def new_token() -> str:
    # Graph's tokens are sentences with spaces and a colon, so that a receiver that echoes the
    # still-encoded query string instead of the decoded token fails here, not in production.
    return f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"


class HandshakeValidator:
    """Validates endpoints over `client` (httpx), each within `timeout` seconds."""

    def __init__(self, client: httpx.AsyncClient, timeout: float = TIMEOUT_SECONDS) -> None:
        self.client = client
        self.timeout = timeout

    async def __call__(self, url: str) -> None:
        token = new_token()
        try:
            response = await self.client.post(with_query(url, validationToken=token), content=b"",
                                              headers={"Content-Type": "text/plain; charset=utf-8"},
                                              timeout=self.timeout)
        except httpx.TimeoutException:
            raise SubscriptionRequestInvalid("Subscription validation request timed out.") from None
        except httpx.HTTPError as exc:
            log.info("validation of %s failed: %s", url, exc)
            raise SubscriptionValidationFailed() from None
        if response.status_code != 200:
            raise SubscriptionValidationFailed()
        content_type = response.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type != "text/plain" or response.text != token:
            raise SubscriptionValidationFailed("Subscription validation request failed. Response must exactly "
                                               "match validationToken query parameter.")
