"""Issue and verify access tokens shaped like Entra ID v2 tokens for Microsoft Graph."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt

from graphpost.auth.claims import ENTRA_ISSUERS, REQUIRED, check_issuer, check_types
from graphpost.auth.keys import SigningKey
from graphpost.errors import InvalidAuthenticationToken

GRAPH_AUDIENCE = "https://graph.microsoft.com"
# Graph's own application id; Entra puts it in `aud` for some token versions.
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
ACCEPTED_AUDIENCES = [GRAPH_AUDIENCE, GRAPH_AUDIENCE + "/", GRAPH_APP_ID]
# The app a delegated token names when graphpost's own CLI minted it.
CLI_APP_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"


def issuer_for(tenant_id: str) -> str:
    return ENTRA_ISSUERS[0].format(tid=tenant_id)


@dataclass(frozen=True)
class DelegatedSubject:
    tenant_id: str
    user_id: str
    user_principal_name: str
    display_name: str


def _base_claims(tenant_id: str, app_id: str, lifetime: timedelta, now: datetime,
                 audience: str = GRAPH_AUDIENCE) -> dict[str, Any]:
    issued = int(now.timestamp())
    return {
        "aud": audience,
        "iss": issuer_for(tenant_id),
        "iat": issued,
        "nbf": issued,
        "exp": issued + int(lifetime.total_seconds()),
        "tid": tenant_id,
        "appid": app_id,
        "azp": app_id,
        "ver": "2.0",
        "uti": uuid.uuid4().hex,
    }


def issue_delegated(key: SigningKey, subject: DelegatedSubject, scopes: list[str], lifetime: timedelta,
                    app_id: str = CLI_APP_ID, now: datetime | None = None) -> str:
    claims = _base_claims(subject.tenant_id, app_id, lifetime, now or datetime.now(timezone.utc))
    claims.update({
        "oid": subject.user_id,
        "sub": subject.user_id,
        "upn": subject.user_principal_name,
        "preferred_username": subject.user_principal_name,
        "name": subject.display_name,
        "scp": " ".join(scopes),
    })
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def issue_application(key: SigningKey, tenant_id: str, app_id: str, roles: list[str], lifetime: timedelta,
                      now: datetime | None = None, audience: str = GRAPH_AUDIENCE) -> str:
    claims = _base_claims(tenant_id, app_id, lifetime, now or datetime.now(timezone.utc), audience)
    # Entra gives app-only tokens the service principal's object id as oid and sub.
    claims.update({"oid": app_id, "sub": app_id, "roles": sorted(roles), "idtyp": "app"})
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


class TokenVerifier:
    """Checks signature, algorithm, lifetime, audience, issuer and the claims' types; remembers
    tokens it has already verified (until they expire), so the RSA check runs once per token, not
    once per request."""

    def __init__(self, key: SigningKey, cache_size: int = 4096, issuers: tuple[str, ...] = ENTRA_ISSUERS) -> None:
        self._key = key
        self._issuers = issuers
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size

    def verify(self, token: str) -> dict[str, Any]:
        claims = self._cache.get(token)
        if claims is not None:
            if claims["exp"] > time.time():
                self._cache.move_to_end(token)
                return claims
            del self._cache[token]
        claims = self._decode(token)
        self._cache[token] = claims
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError:
            raise InvalidAuthenticationToken("IDX14100: JWT is not well formed.") from None
        if header.get("alg") != "RS256":
            # Refuses `alg: none` and HMAC tricks before any key is used.
            raise InvalidAuthenticationToken("Access token validation failure. Invalid signing algorithm.")
        try:
            claims = jwt.decode(token, self._key.public_key, algorithms=["RS256"], audience=ACCEPTED_AUDIENCES,
                                options={"require": list(REQUIRED)}, leeway=30)
        except jwt.ExpiredSignatureError:
            raise InvalidAuthenticationToken("Lifetime validation failed, the token is expired.") from None
        except jwt.ImmatureSignatureError:
            raise InvalidAuthenticationToken("Lifetime validation failed, the token is not yet valid.") from None
        except jwt.InvalidAudienceError:
            raise InvalidAuthenticationToken("Invalid audience.") from None
        except jwt.InvalidSignatureError:
            raise InvalidAuthenticationToken("Access token validation failure. Invalid signature.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise InvalidAuthenticationToken(f"Access token validation failure. Missing claim '{exc.claim}'.") from None
        except jwt.PyJWTError:
            raise InvalidAuthenticationToken("IDX14100: JWT is not well formed.") from None
        check_types(claims)
        check_issuer(claims, self._issuers)
        if "scp" not in claims and "roles" not in claims:
            raise InvalidAuthenticationToken("Access token validation failure. The token carries no permissions.")
        return claims
