"""What a sign-in page carries from its GET to its POST, across nodes and without server state:
the request being answered, signed with graphpost's key (a page token), bound to a random value
that is also set as a cookie (so a form posted from another site, which cannot read or set the
cookie, is refused: CSRF)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

import jwt

from graphpost.auth.keys import SigningKey

AUDIENCE = "graphpost:sign-in-page"
LIFETIME = timedelta(minutes=10)
COOKIE = "graphpost_sign_in"
# Longer than any page token graphpost writes (a few hundred bytes of claims, signed).
MAX_PAGE_TOKEN = 16 * 1024


class PageTokenError(Exception):
    """The form came without a valid page token, or from a browser that was not given the page."""


def new_page(key: SigningKey, kind: str, request: Mapping[str, Any]) -> tuple[str, str]:
    """A page token for `request` and the cookie value it is bound to."""
    binding = secrets.token_urlsafe(24)
    now = datetime.now(timezone.utc)
    claims = {"aud": AUDIENCE, "kind": kind, "csrf": binding, "req": dict(request),
              "iat": int(now.timestamp()), "exp": int((now + LIFETIME).timestamp())}
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid}), binding


def read_page(key: SigningKey, kind: str, page_token: str | None, cookie: str | None) -> dict[str, Any]:
    """The request a posted page carries, if its token is graphpost's, fresh, of this kind of page,
    and bound to the browser's cookie."""
    if not page_token or not cookie or len(page_token) > MAX_PAGE_TOKEN:
        raise PageTokenError("missing")
    try:
        claims = jwt.decode(page_token, key.public_key, algorithms=["RS256"], audience=AUDIENCE)
    except jwt.PyJWTError:
        raise PageTokenError("invalid") from None
    if claims.get("kind") != kind or not secrets.compare_digest(str(claims.get("csrf", "")), cookie):
        raise PageTokenError("not this browser's")
    request = claims.get("req")
    if not isinstance(request, dict):
        raise PageTokenError("invalid")
    return request
