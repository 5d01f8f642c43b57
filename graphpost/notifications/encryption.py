"""Rich notifications' resource data, encrypted as Graph encrypts it, so that a receiver written
with Microsoft's decryption samples reads it (learn.microsoft.com/graph/change-notifications-with-
resource-data, "Decrypting resource data from change notifications"; the changeNotificationEncryptedContent
resource type):

- a fresh 32-byte symmetric key per item;
- `data`: the resource's JSON (UTF-8) under AES-256-CBC with PKCS7 padding, the IV being the key's
  first 16 bytes (the samples copy it from there, so it is not random);
- `dataSignature`: HMAC-SHA256 of those encrypted bytes, keyed with the symmetric key;
- `dataKey`: the symmetric key under RSA-OAEP with SHA-1 and MGF1-SHA-1 (the documented
  `RSA/ECB/OAEPWithSHA1AndMGF1Padding`; .NET's `Decrypt(fOAEP: true)` and Node's `privateDecrypt`
  default to the same);
- `encryptionCertificateThumbprint`: the certificate's SHA-1 thumbprint in upper-case hex, as the
  docs' example (`07293748CC06…`) and .NET's `X509Certificate2.Thumbprint` write it.

Values are base64 with padding (RFC 4648 §4), as `Convert.ToBase64String` writes them."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import os
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, OAEP
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from graphpost.errors import SubscriptionValidationError

# "The key must be of type RSA. The key size must be between 2,048 bits and 4,096 bits."
MIN_KEY_BITS, MAX_KEY_BITS = 2048, 4096
# A certificate of a 4,096-bit key is under 2 KiB of DER; anything this long is not one.
MAX_CERTIFICATE_CHARS = 64 * 1024
KEY_BYTES = 32
IV_BYTES = 16
_OAEP = OAEP(mgf=MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)


@dataclass(frozen=True)
class EncryptionCertificate:
    """A subscription's encryptionCertificate, checked: the public key it names and its thumbprint."""

    public_key: rsa.RSAPublicKey
    thumbprint: str


def _refuse(reason: str) -> SubscriptionValidationError:
    # Graph words it "Certificate validation error: <what .NET's loader said>" (docs-contrib#4898).
    return SubscriptionValidationError(f"Certificate validation error: {reason}")


def parse_encryption_certificate(certificate_b64: str) -> EncryptionCertificate:
    """The certificate a subscription gives as `encryptionCertificate`: base64 of a DER X.509
    certificate ("Export the certificate in Base64-encoded X.509 format", the samples send
    `Convert.ToBase64String(cert.Export(X509ContentType.Cert))` or a PEM's body without its
    armour), its public key RSA of 2,048 to 4,096 bits. Line breaks inside the base64 are
    ignored, as .NET's decoder ignores them; PEM armour is not base64 and is refused.

    Raises SubscriptionValidationError (400) for anything else."""
    if not isinstance(certificate_b64, str) or not certificate_b64.strip():
        raise _refuse("the certificate is empty.")
    if len(certificate_b64) > MAX_CERTIFICATE_CHARS:
        raise _refuse("the certificate is too large.")
    try:
        der = base64.b64decode("".join(certificate_b64.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _refuse("the certificate is not base64-encoded.") from None
    try:
        certificate = x509.load_der_x509_certificate(der)
        public_key = certificate.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise _refuse("the data is not an X.509 certificate.") from None
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise _refuse("the certificate's key must be of type RSA.")
    if not MIN_KEY_BITS <= public_key.key_size <= MAX_KEY_BITS:
        raise _refuse(f"the certificate's key is {public_key.key_size} bits; it must be between "
                      f"{MIN_KEY_BITS} and {MAX_KEY_BITS} bits.")
    return EncryptionCertificate(public_key, certificate.fingerprint(hashes.SHA1()).hex().upper())


def encrypted_content(resource: dict[str, Any], certificate_b64: str, certificate_id: str) -> dict[str, str]:
    """Graph's `encryptedContent` of one notification item: `resource` (the Graph JSON of the
    changed item) encrypted for the subscription's certificate, under a key of its own.

    CPU-bound and growing with the resource (AES and HMAC over its JSON, one RSA operation): a
    plain function, which an event loop's caller runs in a thread (`asyncio.to_thread`)."""
    certificate = parse_encryption_certificate(certificate_b64)
    key = os.urandom(KEY_BYTES)
    plain = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    padder = padding.PKCS7(algorithms.AES.block_size).padder()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:IV_BYTES])).encryptor()
    data = encryptor.update(padder.update(plain) + padder.finalize()) + encryptor.finalize()
    return {
        "data": base64.b64encode(data).decode("ascii"),
        "dataSignature": base64.b64encode(hmac.digest(key, data, sha256)).decode("ascii"),
        "dataKey": base64.b64encode(certificate.public_key.encrypt(key, _OAEP)).decode("ascii"),
        "encryptionCertificateId": certificate_id,
        "encryptionCertificateThumbprint": certificate.thumbprint,
    }
