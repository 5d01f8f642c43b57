"""The server side of TLS: a certificate and key checked before use, and the SSLContext that
serves them. Checked with `cryptography` first so that each way a file can be wrong gets a
sentence naming that file, where ssl would say only "[SSL] PEM lib" or prompt for a password."""

from __future__ import annotations

import ssl
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization

from graphpost.tls.files import TLSError, read_file

HTTP_1_1 = ("http/1.1",)


def server_context(cert_file: Path, key_file: Path | None = None,
                   alpn: Sequence[str] = HTTP_1_1) -> ssl.SSLContext:
    """An SSLContext for a server presenting the certificate chain in `cert_file` (the server's
    certificate first) with the private key in `key_file`, or in `cert_file` when None. TLS 1.2
    and later; `alpn` is what it offers to negotiate (uvicorn's h11 speaks HTTP/1.1 only)."""
    check_certificate_and_key(cert_file, key_file)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols(list(alpn))
    try:
        # The password callback stops ssl from asking for one on the terminal (the key is checked
        # to be unencrypted above, but the file could change in between).
        context.load_cert_chain(cert_file, key_file, password=lambda: b"")
    except (ssl.SSLError, OSError) as exc:
        raise TLSError(f"cannot use the certificate {cert_file} with the key {key_file or cert_file}: "
                       f"{getattr(exc, 'reason', None) or exc}") from None
    return context


def check_certificate_and_key(cert_file: Path, key_file: Path | None = None) -> x509.Certificate:
    """The server's certificate, once the files are readable PEM, the key unencrypted and the
    certificate's own, and the certificate not expired; else TLSError saying which file is wrong."""
    cert_pem = read_file(cert_file, "TLS certificate")
    try:
        certificate = x509.load_pem_x509_certificates(cert_pem)[0]
    except ValueError:
        raise TLSError(f"the TLS certificate {cert_file} holds no PEM certificate") from None
    key_path = key_file or cert_file
    key_pem = cert_pem if key_file is None else read_file(key_file, "TLS key")
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError:
        raise TLSError(f"the TLS key {key_path} is encrypted; graphpost needs it unencrypted") from None
    except (ValueError, UnsupportedAlgorithm):
        hint = " (give the key file too)" if key_file is None else ""
        raise TLSError(f"{key_path} holds no PEM private key{hint}") from None
    if key.public_key() != certificate.public_key():
        raise TLSError(f"the TLS key {key_path} does not belong to the certificate {cert_file}")
    if certificate.not_valid_after_utc <= datetime.now(timezone.utc):
        raise TLSError(f"the TLS certificate {cert_file} expired on {certificate.not_valid_after_utc:%Y-%m-%d}")
    return certificate
