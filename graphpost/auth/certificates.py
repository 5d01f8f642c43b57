"""An app's certificate, as Entra keeps one among an app registration's credentials: its public
key checks the app's client assertions, its thumbprints (x5t#S256, x5t) name it in their header."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

# A certificate is a few kilobytes; a chain a few times that. Anything past this is not one.
MAX_PEM_BYTES = 64 * 1024


class CertificateError(ValueError):
    """The text is not a certificate graphpost can check assertions with; the message says why."""


@dataclass(frozen=True)
class AppCertificate:
    pem: str
    sha256: str  # hex, lower case
    sha1: str

    @property
    def public_key(self) -> rsa.RSAPublicKey | ec.EllipticCurvePublicKey:
        key = x509.load_pem_x509_certificate(self.pem.encode()).public_key()
        assert isinstance(key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey))  # checked by load_certificate
        return key


def load_certificate(pem: bytes) -> AppCertificate:
    """The first certificate of a PEM text (a file may hold the private key too: it is not kept)."""
    if len(pem) > MAX_PEM_BYTES:
        raise CertificateError(f"a certificate is at most {MAX_PEM_BYTES // 1024} KiB of PEM")
    start = pem.find(b"-----BEGIN CERTIFICATE-----")
    if start < 0:
        raise CertificateError("no PEM certificate (-----BEGIN CERTIFICATE-----) in it")
    try:
        cert = x509.load_pem_x509_certificate(pem[start:])
    except ValueError:
        raise CertificateError("the PEM certificate cannot be read") from None
    if not isinstance(cert.public_key(), (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise CertificateError("only RSA and EC certificates can sign client assertions")
    text = cert.public_bytes(serialization.Encoding.PEM).decode()
    return AppCertificate(text, cert.fingerprint(hashes.SHA256()).hex(),
                          cert.fingerprint(hashes.SHA1()).hex())  # x5t is SHA-1 by RFC 7515 §4.1.7
