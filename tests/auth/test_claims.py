"""Claim types and the issuer: checked once, after the signature, before anything reads a claim."""

import json
from datetime import timedelta
from typing import Any

import jwt
import pytest

from graphpost.auth import keys, tokens
from graphpost.errors import InvalidAuthenticationToken

TENANT = "11111111-1111-1111-1111-111111111111"
SUBJECT = tokens.DelegatedSubject(TENANT, "22222222-2222-2222-2222-222222222222", "alice@contoso.test", "Alice")


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> keys.SigningKey:
    return keys.load_or_create(tmp_path_factory.mktemp("keys"))


def _claims(key: keys.SigningKey, **changes: Any) -> dict[str, Any]:
    claims = jwt.decode(tokens.issue_delegated(key, SUBJECT, ["Mail.Send"], timedelta(hours=1)),
                        options={"verify_signature": False})
    return {**claims, **changes}


def _signed(key: keys.SigningKey, claims: dict[str, Any]) -> str:
    # Signed as raw JSON: PyJWT's encode refuses some of the wrong types these tests need.
    return jwt.PyJWS().encode(json.dumps(claims).encode(), key.private_key, algorithm="RS256",
                              headers={"kid": key.kid, "typ": "JWT"})


def _refused_twice(key: keys.SigningKey, token: str, message: str) -> None:
    # Twice on one verifier: the second call is the one that used to take the cached path.
    verifier = tokens.TokenVerifier(key)
    for _ in range(2):
        with pytest.raises(InvalidAuthenticationToken, match=message):
            verifier.verify(token)


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
def test_a_time_claim_given_as_a_string_is_refused(key: keys.SigningKey, claim: str) -> None:
    claims = _claims(key)
    _refused_twice(key, _signed(key, {**claims, claim: str(claims[claim])}), f"'{claim}' must be a number")


def test_a_boolean_time_claim_is_refused(key: keys.SigningKey) -> None:
    _refused_twice(key, _signed(key, _claims(key, nbf=True)), "'nbf' must be a number")


@pytest.mark.parametrize(("claim", "value", "expected"), [
    ("tid", 7, "a string"), ("oid", ["x"], "a string"), ("scp", ["Mail.Send"], "a string"),
    ("appid", None, "a string"), ("roles", "Mail.Send", "a list of strings"), ("roles", [1], "a list of strings"),
])
def test_a_claim_of_the_wrong_type_is_refused(key: keys.SigningKey, claim: str, value: Any, expected: str) -> None:
    _refused_twice(key, _signed(key, _claims(key, **{claim: value})), f"'{claim}' must be {expected}")


def test_an_audience_list_of_strings_is_accepted(key: keys.SigningKey) -> None:
    claims = tokens.TokenVerifier(key).verify(_signed(key, _claims(key, aud=["https://graph.microsoft.com"])))
    assert claims["aud"] == ["https://graph.microsoft.com"]


@pytest.mark.parametrize("issuer", [f"https://login.microsoftonline.com/{TENANT}/v2.0",
                                    f"https://sts.windows.net/{TENANT}/"])
def test_entra_issuer_forms_for_the_tenant_are_accepted(key: keys.SigningKey, issuer: str) -> None:
    assert tokens.TokenVerifier(key).verify(_signed(key, _claims(key, iss=issuer)))["iss"] == issuer


@pytest.mark.parametrize("issuer", [
    "https://login.microsoftonline.com/99999999-9999-9999-9999-999999999999/v2.0",   # another tenant
    "https://sts.windows.net/99999999-9999-9999-9999-999999999999/",
    f"https://evil.example/{TENANT}/v2.0",
    f"https://login.microsoftonline.com/{TENANT}/v2.0/",
    "",
])
def test_an_issuer_that_is_not_the_tenants_is_refused(key: keys.SigningKey, issuer: str) -> None:
    _refused_twice(key, _signed(key, _claims(key, iss=issuer)), "Invalid issuer")


def test_a_token_without_an_issuer_is_refused(key: keys.SigningKey) -> None:
    claims = _claims(key)
    del claims["iss"]
    _refused_twice(key, _signed(key, claims), "Missing claim 'iss'")


def test_a_non_string_issuer_is_refused(key: keys.SigningKey) -> None:
    _refused_twice(key, _signed(key, _claims(key, iss=42)), "'iss' must be a string")


def test_more_issuer_forms_can_be_trusted(key: keys.SigningKey) -> None:
    issuers = ("https://login.microsoftonline.us/{tid}/v2.0",)
    verifier = tokens.TokenVerifier(key, issuers=issuers)
    assert verifier.verify(_signed(key, _claims(key, iss=f"https://login.microsoftonline.us/{TENANT}/v2.0")))
    with pytest.raises(InvalidAuthenticationToken, match="Invalid issuer"):
        verifier.verify(tokens.issue_delegated(key, SUBJECT, ["Mail.Send"], timedelta(hours=1)))
