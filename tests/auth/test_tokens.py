import base64
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest

from graphpost.auth import clouds, keys, tokens
from graphpost.errors import InvalidAuthenticationToken

SUBJECT = tokens.DelegatedSubject("11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222",
                                  "alice@contoso.test", "Alice Smith")


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> keys.SigningKey:
    return keys.load_or_create(tmp_path_factory.mktemp("keys"))


def test_key_is_created_once_and_reloaded(tmp_path: Path) -> None:
    first = keys.load_or_create(tmp_path)
    assert (tmp_path / keys.KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert keys.load_or_create(tmp_path).kid == first.kid


def test_delegated_token_carries_entra_shaped_claims(key: keys.SigningKey) -> None:
    token = tokens.issue_delegated(key, SUBJECT, ["Mail.Send", "Mail.ReadWrite"], timedelta(hours=1))
    claims = tokens.TokenVerifier(key).verify(token)
    assert claims["aud"] == "https://graph.microsoft.com"
    assert claims["iss"] == f"https://login.microsoftonline.com/{SUBJECT.tenant_id}/v2.0"
    assert (claims["tid"], claims["oid"]) == (SUBJECT.tenant_id, SUBJECT.user_id)
    assert claims["upn"] == claims["preferred_username"] == "alice@contoso.test"
    assert claims["scp"] == "Mail.Send Mail.ReadWrite"
    assert claims["exp"] - claims["iat"] == 3600 and claims["nbf"] == claims["iat"]
    assert claims["appid"] and "roles" not in claims
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": key.kid, "typ": "JWT"}


def test_application_token_carries_roles(key: keys.SigningKey) -> None:
    token = tokens.issue_application(key, SUBJECT.tenant_id, "33333333-3333-3333-3333-333333333333",
                                     ["Mail.Send"], timedelta(minutes=5))
    claims = tokens.TokenVerifier(key).verify(token)
    assert claims["roles"] == ["Mail.Send"] and "scp" not in claims
    assert claims["appid"] == "33333333-3333-3333-3333-333333333333"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _refused(key: keys.SigningKey, token: str, message: str) -> None:
    with pytest.raises(InvalidAuthenticationToken, match=message):
        tokens.TokenVerifier(key).verify(token)


def test_expired_token_is_refused(key: keys.SigningKey) -> None:
    past = datetime.now(timezone.utc) - timedelta(hours=2)
    _refused(key, tokens.issue_delegated(key, SUBJECT, ["Mail.Send"], timedelta(hours=1), now=past), "expired")


def test_alg_none_is_refused(key: keys.SigningKey) -> None:
    good = tokens.issue_delegated(key, SUBJECT, ["Mail.Send"], timedelta(hours=1))
    payload = good.split(".")[1]
    _refused(key, f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.", "algorithm")


def test_hmac_signed_with_the_public_key_is_refused(key: keys.SigningKey) -> None:
    payload = tokens.TokenVerifier(key).verify(tokens.issue_delegated(key, SUBJECT, ["Mail.Send"], timedelta(hours=1)))
    forged = jwt.encode(payload, "s" * 32, algorithm="HS256")
    _refused(key, forged, "algorithm")


def test_token_from_another_key_is_refused(key: keys.SigningKey, tmp_path: Path) -> None:
    other = keys.load_or_create(tmp_path)
    _refused(key, tokens.issue_delegated(other, SUBJECT, ["Mail.Send"], timedelta(hours=1)), "signature")


def test_wrong_audience_is_refused(key: keys.SigningKey) -> None:
    claims = tokens.TokenVerifier(key).verify(tokens.issue_delegated(key, SUBJECT, ["Mail.Send"], timedelta(hours=1)))
    token = jwt.encode({**claims, "aud": "https://outlook.office.com"}, key.private_key, algorithm="RS256")
    _refused(key, token, "audience")


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.notjson.sig"])
def test_malformed_token_is_refused(key: keys.SigningKey, token: str) -> None:
    _refused(key, token, "not well formed")


def test_token_without_permissions_is_refused(key: keys.SigningKey) -> None:
    claims = tokens.TokenVerifier(key).verify(tokens.issue_delegated(key, SUBJECT, ["Mail.Send"], timedelta(hours=1)))
    del claims["scp"]
    _refused(key, jwt.encode(claims, key.private_key, algorithm="RS256"), "no permissions")


def test_a_token_carries_the_audience_of_its_cloud_and_is_verified_against_the_requests(key: keys.SigningKey) -> None:
    verifier = tokens.TokenVerifier(key)
    token = tokens.issue_delegated(key, SUBJECT, ["Mail.Send"], timedelta(hours=1),
                                   audience="https://graph.microsoft.us")
    assert verifier.verify(token, clouds.US_GOV.accepted_audiences)["aud"] == "https://graph.microsoft.us"
    # Once cached, the token is still checked against each request's cloud.
    for other in (clouds.GLOBAL, clouds.US_GOV_DOD, clouds.CHINA):
        with pytest.raises(InvalidAuthenticationToken, match="Invalid audience"):
            verifier.verify(token, other.accepted_audiences)
    with pytest.raises(InvalidAuthenticationToken, match="Invalid audience"):
        verifier.verify(token)   # the default: the global cloud


def test_an_audience_list_passes_when_it_names_the_requests_cloud(key: keys.SigningKey) -> None:
    claims = tokens.TokenVerifier(key).verify(tokens.issue_delegated(key, SUBJECT, ["Mail.Send"], timedelta(hours=1)))
    token = jwt.encode({**claims, "aud": ["api://other", "https://microsoftgraph.chinacloudapi.cn"]},
                       key.private_key, algorithm="RS256", headers={"kid": key.kid})
    assert tokens.TokenVerifier(key).verify(token, clouds.CHINA.accepted_audiences)["tid"] == SUBJECT.tenant_id
    _refused(key, token, "Invalid audience")
