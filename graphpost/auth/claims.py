"""The claims an access token must carry, and the JSON type each must have.

Signature and lifetime checks (PyJWT) accept some wrong types: `exp` as the string "1796198011"
passes `int()`, and would later be compared with a float. So every claim we read is checked here
once, after the signature, and the rest of graphpost can trust the types."""

from __future__ import annotations

from typing import Any, Callable

from graphpost.errors import InvalidAuthenticationToken

# The issuer forms Entra ID uses for a tenant (Microsoft identity platform, "Access tokens":
# v1.0 tokens name sts.windows.net, v2.0 tokens login.microsoftonline.com/{tid}/v2.0; Graph
# accepts both). Our own issuer emits the v2 form. Another issuer (another cloud's login host,
# a trusted external issuer) is one more template here.
ENTRA_ISSUERS = ("https://login.microsoftonline.com/{tid}/v2.0", "https://sts.windows.net/{tid}/")

REQUIRED = ("exp", "iat", "nbf", "aud", "iss", "tid")


def _number(value: Any) -> bool:
    # bool is an int in Python, never a NumericDate in JSON.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _string(value: Any) -> bool:
    return isinstance(value, str)


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _audience(value: Any) -> bool:
    # RFC 7519 §4.1.3: one string, or an array of strings.
    return _string(value) or _strings(value)


_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "exp": (_number, "a number"), "nbf": (_number, "a number"), "iat": (_number, "a number"),
    "aud": (_audience, "a string"), "iss": (_string, "a string"), "tid": (_string, "a string"),
    "oid": (_string, "a string"), "sub": (_string, "a string"), "appid": (_string, "a string"),
    "azp": (_string, "a string"), "scp": (_string, "a string"), "roles": (_strings, "a list of strings"),
    "upn": (_string, "a string"), "preferred_username": (_string, "a string"), "name": (_string, "a string"),
}


def check_types(claims: dict[str, Any]) -> None:
    """Refuse a token whose claims we read have the wrong JSON type."""
    for name, (valid, expected) in _TYPES.items():
        if name in claims and not valid(claims[name]):
            raise InvalidAuthenticationToken(
                f"Access token validation failure. The claim '{name}' must be {expected}.")


def check_issuer(claims: dict[str, Any], issuers: tuple[str, ...] = ENTRA_ISSUERS) -> None:
    """`iss` must be one of the issuer forms for the token's own tenant, as Entra issues them."""
    if claims["iss"] not in {form.format(tid=claims["tid"]) for form in issuers}:
        raise InvalidAuthenticationToken("Access token validation failure. Invalid issuer.")
