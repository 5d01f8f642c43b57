"""The `validationTokens` of a rich notification: one JWT per distinct (app, tenant) pair among
the POST's items, by which the receiver knows that Graph sent it (learn.microsoft.com/graph/
change-notifications-with-resource-data, "Validating the authenticity of notifications").

Graph's tokens are Entra v1.0 tokens: `iss` https://sts.windows.net/{tenantId}/, `aud` the
subscribing app's id, `appid` Graph's change-notification publisher 0bf30f3b-4a52-48df-9a82-
234910c4a086 (the docs' example token; Microsoft's Java SDK checks the same id in `azp`, so both are
set). graphpost signs them with its own signing key, the one its identity endpoint publishes at
`…/discovery/v2.0/keys`, so a receiver verifies them against graphpost's keys where it would ask
login.microsoftonline.com for Entra's."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

import jwt

from graphpost.auth.keys import SigningKey

GRAPH_NOTIFICATION_PUBLISHER = "0bf30f3b-4a52-48df-9a82-234910c4a086"
# The docs' example token lives 29,100 s (exp 1565075913 - iat 1565046813).
LIFETIME = timedelta(seconds=29_100)


def validation_token(key: SigningKey, tenant_id: str, app_id: str, now: datetime) -> str:
    """The token Graph puts in `validationTokens` for the items of `app_id` in `tenant_id`. The
    same arguments give the same token (RS256 signatures are deterministic; `uti` is derived)."""
    issued = int(now.timestamp())
    issuer = f"https://sts.windows.net/{tenant_id}/"
    uti = base64.urlsafe_b64encode(
        hashlib.sha256(f"{tenant_id}|{app_id}|{issued}".encode()).digest()[:16]).decode().rstrip("=")
    claims = {
        "aud": app_id,
        "iss": issuer,
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(LIFETIME.total_seconds()),
        "appid": GRAPH_NOTIFICATION_PUBLISHER,
        "azp": GRAPH_NOTIFICATION_PUBLISHER,
        "appidacr": "2",  # the publisher signs in with a certificate
        "idp": issuer,
        "tid": tenant_id,
        "uti": uti,
        "ver": "1.0",
    }
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"typ": "JWT", "kid": key.kid})


def validation_tokens(key: SigningKey, audiences: Iterable[tuple[str, str]], now: datetime) -> list[str]:
    """The `validationTokens` array for a POST whose items belong to `audiences`, (tenant id,
    app id) pairs, repeats allowed: one token per distinct pair, in order of first appearance."""
    return [validation_token(key, tenant_id, app_id, now) for tenant_id, app_id in dict.fromkeys(audiences)]
