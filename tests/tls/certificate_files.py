"""A user's own certificate and key as files, as an operator would bring them to --tls-cert."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from graphpost import tls


def write_certificate_and_key(ca: tls.LocalCA, directory: Path, names: list[str], *,
                              lifetime: timedelta = timedelta(days=90), ago: timedelta = timedelta(0),
                              password: bytes | None = None) -> tuple[Path, Path]:
    """cert.pem and key.pem in `directory`: a certificate from `ca` for `names`, issued `ago`."""
    certificate, key = tls.issue(ca, names, datetime.now(timezone.utc) - ago, lifetime=lifetime)
    encryption = (serialization.BestAvailableEncryption(password) if password is not None
                  else serialization.NoEncryption())
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption))
    return cert_file, key_file
