"""The local certificate authority: an EC P-256 key and a self-signed CA certificate, made in the
data directory on first use, that signs the certificates graphpost serves (its own HTTPS, and the
proxy's for Graph's and Entra's host names). Users trust it by pointing SSL_CERT_FILE,
REQUESTS_CA_BUNDLE or their browser at its certificate.

The CA is made in a staging directory that is then renamed into place: two processes starting at
once on a fresh data directory each make one, one rename wins, and the loser (whose rename fails
on the now non-empty directory) uses the winner's. Nobody ever reads a key without its
certificate."""

from __future__ import annotations

import secrets
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from graphpost.tls.files import TLSError, read_file, write_atomically

CA_DIR = "ca"
CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
# Long enough that a trusted CA does not silently stop working; the CA/Browser Forum's lifetime
# limits bind the leaf certificates, not a locally installed root.
CA_LIFETIME = timedelta(days=10 * 365)
# Certificates start a little in the past, so that a client whose clock is slightly behind
# still accepts one made a moment ago.
CLOCK_SKEW = timedelta(hours=1)


@dataclass(frozen=True)
class LocalCA:
    directory: Path
    certificate: x509.Certificate
    private_key: ec.EllipticCurvePrivateKey

    @property
    def cert_path(self) -> Path:
        """The CA certificate (PEM): what clients are told to trust."""
        return self.directory / CA_CERT_FILE

    @property
    def key_path(self) -> Path:
        return self.directory / CA_KEY_FILE

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    @property
    def key_identifier(self) -> bytes:
        return self.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def local_ca(data_dir: Path) -> LocalCA:
    """The data directory's CA, made on first use."""
    directory = data_dir / CA_DIR
    if not (directory / CA_CERT_FILE).exists():
        _create(data_dir, directory)
    return _load(directory)


def _create(data_dir: Path, directory: Path) -> None:
    if data_dir.exists() and not data_dir.is_dir():
        raise TLSError(f"the data directory {data_dir} is a file, not a directory")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=data_dir, prefix=".ca-"))
    except OSError as exc:
        raise TLSError(f"cannot create the local CA in {directory}: {exc.strerror}") from None
    try:
        staging.chmod(0o755)   # the certificate is public; the key file alone is the owner's
        key = ec.generate_private_key(ec.SECP256R1())
        write_atomically(staging / CA_KEY_FILE, key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), 0o600)
        write_atomically(staging / CA_CERT_FILE,
                         _self_signed(key).public_bytes(serialization.Encoding.PEM), 0o644)
        try:
            staging.rename(directory)
        except OSError:
            # Another process made the CA first (the directory is there, not empty): use its.
            if not (directory / CA_CERT_FILE).exists():
                raise
    except OSError as exc:
        raise TLSError(f"cannot create the local CA in {directory}: {exc.strerror}") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _self_signed(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    # A name of its own per CA: browsers and NSS keep trusted roots by subject, and two graphpost
    # CAs (two machines, or a CA made again) must not look like one root with a changed key.
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "graphpost"),
        x509.NameAttribute(NameOID.COMMON_NAME, f"graphpost local CA {secrets.token_hex(4)}"),
    ])
    now = datetime.now(timezone.utc)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    # The extensions OpenSSL 3's strict mode and Chromium require of a root: critical CA:true,
    # keyCertSign, and a subject key identifier for the leaves' authority key identifier to name.
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + CA_LIFETIME)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(key, hashes.SHA256()))


def _load(directory: Path) -> LocalCA:
    cert_path, key_path = directory / CA_CERT_FILE, directory / CA_KEY_FILE
    again = f"(move {directory} away to have a new CA made; clients must then trust the new one)"
    try:
        certificate = x509.load_pem_x509_certificate(read_file(cert_path, "CA certificate"))
    except ValueError:
        raise TLSError(f"{cert_path} is not a PEM certificate {again}") from None
    try:
        key = serialization.load_pem_private_key(read_file(key_path, "CA key"), password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TLSError(f"{key_path} is not an unencrypted PEM EC private key {again}")
    if key.public_key() != certificate.public_key():
        raise TLSError(f"the CA key {key_path} does not belong to the certificate {cert_path} {again}")
    if certificate.not_valid_after_utc <= datetime.now(timezone.utc):
        raise TLSError(f"the local CA {cert_path} expired on {certificate.not_valid_after_utc:%Y-%m-%d} {again}")
    return LocalCA(directory, certificate, key)
