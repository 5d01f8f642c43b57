"""Client assertions (RFC 7523 §3, Entra's "certificate credentials"): a JWT the app signs with
its certificate's key to prove it is itself, checked here against the certificate it registered.

MSAL names the certificate by `x5t#S256` and signs PS256 when given the certificate, by `x5t`
(SHA-1) and RS256 when given a thumbprint, as azure-identity's CertificateCredential does."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from graphpost.auth.certificates import AppCertificate
from graphpost.identity import errors

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
RSA_ALGORITHMS = ("RS256", "PS256")
ALGORITHMS = (*RSA_ALGORITHMS, "ES256")
# Entra tolerates this much clock skew between the client and itself.
CLOCK_SKEW = 300

# Finds the app's certificate by thumbprint: (sha256 hex, sha1 hex), one of them None.
CertificateLookup = Callable[[str | None, str | None], Awaitable[AppCertificate | None]]


def _thumbprint_hex(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 100:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()
    except (binascii.Error, ValueError):
        return None


def _moment(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (OverflowError, OSError, ValueError):
            pass
    return "1970-01-01T00:00:00Z"


async def verify(assertion: str, client_id: str, audiences: list[str], certificate_of: CertificateLookup) -> None:
    """Return if `assertion` proves `client_id`: signed by one of its certificates, for this token
    endpoint, in its lifetime; raise Entra's invalid_client otherwise."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError:
        raise errors.malformed_assertion("the client assertion is not a JWT") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        # Refuses `none` and HMAC before any key is touched.
        raise errors.malformed_assertion(f"the signing algorithm '{str(algorithm)[:20]}' is not supported")
    sha256 = _thumbprint_hex(header.get("x5t#S256"))
    sha1 = None if sha256 else _thumbprint_hex(header.get("x5t"))
    shown = (sha256 or sha1 or "").upper()
    certificate = await certificate_of(sha256, sha1) if (sha256 or sha1) else None
    if certificate is None:
        raise errors.assertion_signature("The key was not found.", shown, client_id)
    key = certificate.public_key
    if isinstance(key, rsa.RSAPublicKey) != (algorithm in RSA_ALGORITHMS):
        raise errors.assertion_signature(f"The key of the certificate cannot verify {algorithm}.", shown, client_id)
    try:
        claims = jwt.decode(assertion, key, algorithms=[algorithm], audience=audiences,
                            options={"require": ["exp", "aud", "iss", "sub"]}, leeway=CLOCK_SKEW)
    except jwt.InvalidSignatureError:
        raise errors.assertion_signature("The provided signature value did not match the expected signature value.",
                                         shown, client_id) from None
    except (jwt.ExpiredSignatureError, jwt.ImmatureSignatureError):
        seen = jwt.decode(assertion, options={"verify_signature": False})
        raise errors.assertion_out_of_time(_moment(datetime.now(timezone.utc).timestamp()),
                                           _moment(seen.get("nbf", 0)), _moment(seen.get("exp"))) from None
    except jwt.InvalidAudienceError:
        raise errors.malformed_assertion("the audience is not this token endpoint") from None
    except jwt.MissingRequiredClaimError as exc:
        raise errors.malformed_assertion(f"the claim '{exc.claim}' is missing") from None
    except jwt.PyJWTError:
        raise errors.malformed_assertion("the client assertion cannot be read") from None
    if not all(isinstance(claims[name], str) and claims[name].lower() == client_id.lower() for name in ("iss", "sub")):
        raise errors.assertion_of_another_client()
