"""Client assertions checked against the registered certificate, without HTTP."""

from __future__ import annotations

import time

import jwt
import pytest

from graphpost.auth.certificates import AppCertificate, load_certificate
from graphpost.errors import EntraError
from graphpost.identity import assertions
from tests.certificates import KeyPair, assertion, self_signed

CLIENT = "0c5b2b3e-3a36-4b8e-9d5f-2c7d8e9f0a1b"
ENDPOINT = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/oauth2/v2.0/token"


@pytest.fixture(scope="module")
def pair() -> KeyPair:
    return self_signed()


def lookup(pair: KeyPair) -> assertions.CertificateLookup:
    registered = load_certificate(pair.cert_pem.encode())

    async def find(sha256: str | None, sha1: str | None) -> AppCertificate | None:
        return registered if sha256 == registered.sha256 or sha1 == registered.sha1 else None
    return find


async def refusal(pair: KeyPair, signed: str) -> EntraError:
    with pytest.raises(EntraError) as refused:
        await assertions.verify(signed, CLIENT, [ENDPOINT], lookup(pair))
    return refused.value


async def test_an_assertion_made_as_msal_makes_it_is_accepted(pair: KeyPair) -> None:
    await assertions.verify(assertion(pair, CLIENT, ENDPOINT), CLIENT.upper(), [ENDPOINT], lookup(pair))
    await assertions.verify(assertion(pair, CLIENT, ENDPOINT, algorithm="RS256", header="x5t"), CLIENT, [ENDPOINT],
                            lookup(pair))


async def test_clock_skew_of_a_few_minutes_is_tolerated(pair: KeyPair) -> None:
    late = assertion(pair, CLIENT, ENDPOINT, issued=time.time() - 600 - 120)  # expired two minutes ago
    await assertions.verify(late, CLIENT, [ENDPOINT], lookup(pair))
    error = await refusal(pair, assertion(pair, CLIENT, ENDPOINT, issued=time.time() - 600 - 600))
    assert error.aadsts == 700024 and "expiry time of assertion" in error.message


async def test_a_missing_claim_or_thumbprint_is_refused(pair: KeyPair) -> None:
    no_exp = jwt.encode({"aud": ENDPOINT, "iss": CLIENT, "sub": CLIENT}, pair.private_key, algorithm="PS256",
                        headers={"x5t#S256": pair.x5t_s256()})
    assert (await refusal(pair, no_exp)).aadsts == 50027
    anonymous = jwt.encode({"aud": ENDPOINT, "iss": CLIENT, "sub": CLIENT, "exp": time.time() + 60},
                           pair.private_key, algorithm="PS256")
    error = await refusal(pair, anonymous)
    assert error.aadsts == 700027 and "The key was not found" in error.message


async def test_the_subject_must_be_the_client_too(pair: KeyPair) -> None:
    other = assertion(pair, CLIENT, ENDPOINT, sub="someone-else")
    assert (await refusal(pair, other)).aadsts == 700021


async def test_a_certificate_key_of_another_kind_than_the_algorithm_is_refused(pair: KeyPair) -> None:
    ec_pair = self_signed(kind="ec")
    mixed = jwt.encode({"aud": ENDPOINT, "iss": CLIENT, "sub": CLIENT, "exp": time.time() + 60},
                       ec_pair.private_key, algorithm="ES256", headers={"x5t#S256": pair.x5t_s256()})
    assert (await refusal(pair, mixed)).code == "invalid_client"
