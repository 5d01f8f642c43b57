"""What goes into the token endpoint and what comes out of it, whatever the grant."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from graphpost.identity import errors


@dataclass(frozen=True)
class TokenRequest:
    form: Mapping[str, str]
    basic: tuple[str, str] | None  # client id and secret of an HTTP Basic header
    token_endpoints: list[str]     # the URLs a client assertion may name as its audience
    base: str                      # scheme and host the client called: the issuer of id tokens is on it

    def require(self, *names: str) -> None:
        """Refuse the request for the first of `names` that is absent or blank, as Entra names
        the first missing parameter (AADSTS900144)."""
        for name in names:
            if not self.form.get(name, "").strip():
                raise errors.missing_parameter(name)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str | None = None       # granted scopes, for delegated grants
    id_token: str | None = None    # when `openid` was asked for
    client_info: str | None = None  # when the client sent client_info=1, as MSAL does
    refresh_token: str | None = None  # when offline_access was asked for, on a user's grant

    def as_json(self) -> dict[str, Any]:
        # Entra's answer, field for field and in its order.
        answer: dict[str, Any] = {"token_type": "Bearer"}
        if self.scope is not None:
            answer["scope"] = self.scope
        answer.update({"expires_in": self.expires_in, "ext_expires_in": self.expires_in,
                       "access_token": self.access_token})
        if self.refresh_token is not None:
            answer["refresh_token"] = self.refresh_token
        if self.id_token is not None:
            answer["id_token"] = self.id_token
        if self.client_info is not None:
            answer["client_info"] = self.client_info
        return answer
