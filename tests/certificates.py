"""Certificates made for a test: an app's self-signed certificate with its key, as a user would
make one with openssl, and client assertions signed with it the way MSAL signs them."""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class KeyPair:
    key_pem: str
    cert_pem: str

    @property
    def private_key(self) -> Any:
        return serialization.load_pem_private_key(self.key_pem.encode(), password=None)

    def fingerprint(self, algorithm: hashes.HashAlgorithm) -> bytes:
        return x509.load_pem_x509_certificate(self.cert_pem.encode()).fingerprint(algorithm)

    def x5t(self) -> str:
        return base64.urlsafe_b64encode(self.fingerprint(hashes.SHA1())).decode().rstrip("=")

    def x5t_s256(self) -> str:
        return base64.urlsafe_b64encode(self.fingerprint(hashes.SHA256())).decode().rstrip("=")


def self_signed(common_name: str = "graphpost test app", kind: str = "rsa") -> KeyPair:
    key: Any = (rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "rsa"
                else ec.generate_private_key(ec.SECP256R1()))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return KeyPair(key_pem, cert.public_bytes(serialization.Encoding.PEM).decode())


def assertion(pair: KeyPair, client_id: str, audience: str, *, algorithm: str = "PS256", header: str = "x5t#S256",
              lifetime: int = 600, issued: float | None = None, **claims: Any) -> str:
    """A client assertion as MSAL's JwtAssertionCreator makes it; keyword claims override."""
    now = time.time() if issued is None else issued
    payload = {"aud": audience, "iss": client_id, "sub": client_id, "exp": now + lifetime, "iat": now,
               "jti": str(uuid.uuid4()), **claims}
    thumbprint = pair.x5t_s256() if header == "x5t#S256" else pair.x5t()
    return jwt.encode(payload, pair.private_key, algorithm=algorithm, headers={header: thumbprint})
