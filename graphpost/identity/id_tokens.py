"""OpenID Connect id tokens and MSAL's client_info: who signed in, for the client itself (its
`aud` is the client id; the issuer is on the host the client called, as discovery says)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta, timezone

import jwt

from graphpost.auth.keys import SigningKey
from graphpost.identity.users import SignedIn


def issue_id_token(key: SigningKey, issuer: str, client_id: str, user: SignedIn, lifetime: timedelta,
                   now: datetime | None = None, nonce: str | None = None) -> str:
    issued = int((now or datetime.now(timezone.utc)).timestamp())
    claims = {
        "aud": client_id, "iss": issuer, "iat": issued, "nbf": issued, "exp": issued + int(lifetime.total_seconds()),
        "name": user.display_name, "oid": user.user_id, "preferred_username": user.user_principal_name,
        "sub": user.user_id, "tid": user.tenant_id, "uti": uuid.uuid4().hex, "ver": "2.0",
    }
    if nonce is not None:  # the authorization request's, for the client to match (OpenID Connect §3.1.3.7)
        claims["nonce"] = nonce
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def client_info(user: SignedIn) -> str:
    """base64url JSON of the user's home account ids, from which MSAL keys its token cache."""
    raw = json.dumps({"uid": user.user_id, "utid": user.tenant_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
