"""Rich notifications' encryptedContent, read back as Microsoft documents a receiver reads it
(learn.microsoft.com/graph/change-notifications-with-resource-data, "Decrypting resource data",
whose C#, Java and JavaScript snippets `decrypt_as_documented` follows step by step), on real
certificates; the certificates a subscription may not give; the validationTokens checked as the
docs' "How to validate" says, against the keys graphpost's identity endpoint publishes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as symmetric_padding
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

from graphpost.auth import keys
from graphpost.errors import SubscriptionValidationError
from graphpost.identity import discovery
from graphpost.identity.tenants import TenantRef
from graphpost.notifications.encryption import encrypted_content, parse_encryption_certificate
from graphpost.notifications.validation_tokens import (
    GRAPH_NOTIFICATION_PUBLISHER, validation_token, validation_tokens)

TENANT = "84bd8158-6d4d-4958-8b9f-9d6445542f95"
OTHER_TENANT = "bbbbcccc-1111-dddd-2222-eeee3333ffff"
APP = "8e460676-ae3f-4b1e-8790-ee0fb5d6148f"
MESSAGE = {
    "@odata.type": "#Microsoft.Graph.Message",
    "@odata.id": "Users/alice@contoso.test/Messages/AAMkAGI2",
    "id": "AAMkAGI2",
    "subject": "Grüße from Zürich ✓",
    "body": {"contentType": "html", "content": "<p>" + "x" * 5000 + "</p>"},
    "isRead": False,
}


class SignatureMismatch(Exception):
    """The docs: "If they don't match, assume the payload has been tampered with and don't decrypt it." """


def decrypt_as_documented(content: dict[str, Any], private_key: rsa.RSAPrivateKey) -> Any:
    # 3. Decrypt the symmetric key in dataKey with OAEP (Java: RSA/ECB/OAEPWithSHA1AndMGF1Padding).
    encrypted_symmetric_key = base64.b64decode(content["dataKey"])
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    decrypted_symmetric_key = private_key.decrypt(encrypted_symmetric_key, oaep)
    # 4. HMAC-SHA256 of the (still encrypted) data with the symmetric key, compared with dataSignature
    #    (the Java snippet compares the base64 texts).
    decoded_encrypted_data = base64.b64decode(content["data"])
    hashed_data = hmac.new(decrypted_symmetric_key, decoded_encrypted_data, hashlib.sha256).digest()
    if base64.b64encode(hashed_data).decode() != content["dataSignature"]:
        raise SignatureMismatch()
    # 5. AES, CBC, PKCS7 padding; the IV is a copy of the symmetric key's first 16 bytes.
    iv = decrypted_symmetric_key[:16]
    decryptor = Cipher(algorithms.AES(decrypted_symmetric_key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(decoded_encrypted_data) + decryptor.finalize()
    unpadder = symmetric_padding.PKCS7(128).unpadder()
    # 6. "The decrypted value is a JSON string that represents the resource instance."
    return json.loads((unpadder.update(padded) + unpadder.finalize()).decode("utf-8"))


def _certificate(subject_key: Any, signing_key: Any) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook receiver")])
    now = datetime.now(timezone.utc)
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(subject_key)
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1)).sign(signing_key, hashes.SHA256()))


def _base64_der(certificate: x509.Certificate) -> str:
    # What the samples send: Convert.ToBase64String(cert.Export(X509ContentType.Cert)).
    return base64.b64encode(certificate.public_bytes(serialization.Encoding.DER)).decode()


@pytest.fixture(scope="module", params=[2048, 4096])
def receiver(request: pytest.FixtureRequest) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=request.param)
    return private_key, _certificate(private_key.public_key(), private_key)


def test_the_documented_decryption_reads_the_resource(receiver: tuple[rsa.RSAPrivateKey, x509.Certificate]) -> None:
    private_key, certificate = receiver
    content = encrypted_content(MESSAGE, _base64_der(certificate), "MySelfSignedCert/DDC9651A")
    assert set(content) == {"data", "dataSignature", "dataKey", "encryptionCertificateId",
                            "encryptionCertificateThumbprint"}
    assert content["encryptionCertificateId"] == "MySelfSignedCert/DDC9651A"
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert content["encryptionCertificateThumbprint"] == hashlib.sha1(der).hexdigest().upper()
    assert decrypt_as_documented(content, private_key) == MESSAGE


def test_each_item_gets_a_key_of_its_own(receiver: tuple[rsa.RSAPrivateKey, x509.Certificate]) -> None:
    private_key, certificate = receiver
    first, second = (encrypted_content(MESSAGE, _base64_der(certificate), "cert") for _ in range(2))
    assert first["data"] != second["data"] and first["dataSignature"] != second["dataSignature"]
    oaep = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA1()), algorithm=hashes.SHA1(), label=None)
    keys_used = {private_key.decrypt(base64.b64decode(item["dataKey"]), oaep) for item in (first, second)}
    assert len(keys_used) == 2 and all(len(key) == 32 for key in keys_used)


def test_tampered_data_fails_the_signature(receiver: tuple[rsa.RSAPrivateKey, x509.Certificate]) -> None:
    private_key, certificate = receiver
    content = encrypted_content(MESSAGE, _base64_der(certificate), "cert")
    data = bytearray(base64.b64decode(content["data"]))
    data[-1] ^= 0x01
    with pytest.raises(SignatureMismatch):
        decrypt_as_documented({**content, "data": base64.b64encode(bytes(data)).decode()}, private_key)


def test_a_valid_certificate_is_parsed_with_its_thumbprint() -> None:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _certificate(private_key.public_key(), private_key)
    # Line breaks, as a PEM body copied without its armour has them, are not base64's concern.
    wrapped = "\n".join(_base64_der(certificate)[i:i + 64] for i in range(0, len(_base64_der(certificate)), 64))
    parsed = parse_encryption_certificate(wrapped)
    assert parsed.public_key.public_numbers() == private_key.public_key().public_numbers()
    assert parsed.thumbprint == certificate.fingerprint(hashes.SHA1()).hex().upper()


def _rsa_public_key(bits: int) -> rsa.RSAPublicKey:
    # Only the certificate's public key is read, so a key of any size needs no key generation:
    # an odd modulus of that many bits, in a certificate signed by another key.
    modulus = (1 << (bits - 1)) | int.from_bytes(hashlib.sha512(str(bits).encode()).digest(), "big") | 1
    return rsa.RSAPublicNumbers(65537, modulus).public_key()


def _refused_certificates() -> list[Any]:
    issuer = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    spki = issuer.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pem = _certificate(issuer.public_key(), issuer).public_bytes(serialization.Encoding.PEM).decode()
    return [
        pytest.param("", "empty", id="empty"),
        pytest.param("this is not base64!", "not base64", id="not-base64"),
        pytest.param(pem, "not base64", id="pem-armour"),
        pytest.param(base64.b64encode(spki).decode(), "not an X.509 certificate", id="a-public-key-not-a-certificate"),
        pytest.param(_base64_der(_certificate(ec_key.public_key(), ec_key)), "must be of type RSA", id="ec-key"),
        pytest.param(_base64_der(_certificate(_rsa_public_key(1024), issuer)), "is 1024 bits", id="rsa-1024"),
        pytest.param(_base64_der(_certificate(_rsa_public_key(8192), issuer)), "is 8192 bits", id="rsa-8192"),
        pytest.param("A" * (64 * 1024 + 4), "too large", id="too-large"),
    ]


@pytest.mark.parametrize(("certificate", "reason"), _refused_certificates())
def test_a_certificate_graph_would_not_take_is_a_400(certificate: str, reason: str) -> None:
    with pytest.raises(SubscriptionValidationError) as refused:
        parse_encryption_certificate(certificate)
    assert (refused.value.status, refused.value.code) == (400, "ValidationError")
    assert refused.value.message.startswith("Certificate validation error: ")
    assert reason in refused.value.message
    with pytest.raises(SubscriptionValidationError):
        encrypted_content(MESSAGE, certificate, "cert")


@pytest.fixture(scope="module")
def signing_key(signing_key_file: Path) -> keys.SigningKey:
    return keys.load_or_create(signing_key_file.parent)


def _published_key(signing_key: keys.SigningKey, token: str) -> Any:
    # What a receiver does: the key named by the token's kid, from the JWKS graphpost serves.
    published = discovery.jwks(signing_key, "https://login.microsoftonline.com", TenantRef("common", None))
    return jwt.PyJWKSet.from_dict(published)[jwt.get_unverified_header(token)["kid"]].key


def test_a_validation_token_passes_the_documented_checks(signing_key: keys.SigningKey) -> None:
    now = datetime.now(timezone.utc)
    token = validation_token(signing_key, TENANT, APP, now)
    # 1-3: not expired, signed by the authority, for the subscribing app, issued for its tenant.
    claims = jwt.decode(token, _published_key(signing_key, token), algorithms=["RS256"], audience=APP,
                        issuer=f"https://sts.windows.net/{TENANT}/",
                        options={"require": ["exp", "nbf", "iat", "aud", "iss"]})
    # 4 (critical): the app that made it is Graph's change-notification publisher.
    assert claims["appid"] == claims["azp"] == GRAPH_NOTIFICATION_PUBLISHER
    assert (claims["tid"], claims["ver"], claims["idp"]) == (TENANT, "1.0", f"https://sts.windows.net/{TENANT}/")
    assert claims["iat"] == claims["nbf"] == int(now.timestamp())
    assert claims["exp"] - claims["iat"] == 29_100
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "kid": signing_key.kid, "typ": "JWT"}


def test_an_expired_validation_token_is_refused(signing_key: keys.SigningKey) -> None:
    token = validation_token(signing_key, TENANT, APP, datetime.now(timezone.utc) - timedelta(hours=9))
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(token, _published_key(signing_key, token), algorithms=["RS256"], audience=APP)


def test_one_validation_token_per_app_and_tenant(signing_key: keys.SigningKey) -> None:
    now = datetime(2026, 12, 2, 16, 0, tzinfo=timezone.utc)
    tokens = validation_tokens(signing_key, [(TENANT, APP), (OTHER_TENANT, APP), (TENANT, APP)], now)
    assert tokens == [validation_token(signing_key, TENANT, APP, now),
                      validation_token(signing_key, OTHER_TENANT, APP, now)]
    issuers = [jwt.decode(token, options={"verify_signature": False})["iss"] for token in tokens]
    assert issuers == [f"https://sts.windows.net/{TENANT}/", f"https://sts.windows.net/{OTHER_TENANT}/"]
