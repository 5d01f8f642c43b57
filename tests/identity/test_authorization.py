"""PKCE (RFC 7636): the verifier matches its S256 or plain challenge, and nothing else does."""

from __future__ import annotations

from graphpost.identity.authorization import verifier_matches

# RFC 7636 appendix B's example.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_s256_as_the_rfc_computes_it() -> None:
    assert verifier_matches(VERIFIER, CHALLENGE, "S256")
    assert not verifier_matches(VERIFIER[:-1] + "l", CHALLENGE, "S256")
    assert not verifier_matches(CHALLENGE, CHALLENGE, "S256")


def test_plain_is_the_verifier_itself() -> None:
    assert verifier_matches(VERIFIER, VERIFIER, "plain")
    assert not verifier_matches(VERIFIER, CHALLENGE, "plain")
