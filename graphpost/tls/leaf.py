"""Server certificates signed by the local CA, for a set of host names and IP addresses, kept in
the data directory and reused until the names change, the CA changes, or expiry is near: a
restart does not make clients see a new certificate each time."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from graphpost.tls.authority import CLOCK_SKEW, LocalCA
from graphpost.tls.files import TLSError, write_atomically

LEAF_DIR = "certs"
# Under the 398 days Apple and Chromium accept for a server certificate.
LEAF_LIFETIME = timedelta(days=365)
RENEW_BEFORE = timedelta(days=30)
MAX_NAMES = 100
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


@dataclass(frozen=True)
class ServerCertificate:
    path: Path                   # PEM: the private key, then the certificate (ssl's load_cert_chain reads both)
    names: tuple[str, ...]       # as in the certificate's subject alternative names, normalised
    certificate: x509.Certificate


def default_names() -> list[str]:
    """What a client on this machine calls it by: localhost, the loopback addresses, its host name
    (left out when no certificate can carry it, as a container's `my_host` with its underscore)."""
    names = ["localhost", "127.0.0.1", "::1"]
    try:
        return names + list(normalized_names([socket.gethostname()]))
    except TLSError:
        return names


def normalized_names(names: Iterable[str]) -> tuple[str, ...]:
    """Host names lower-cased without a final dot, IP addresses in their canonical form; sorted,
    without repeats. A name that no certificate can carry is refused."""
    found: set[str] = set()
    for name in names:
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            address = None
        # A scoped IPv6 address (fe80::1%eth0) names an interface, which a certificate cannot.
        if address is not None and not getattr(address, "scope_id", None):
            found.add(str(address))
            continue
        host = name.strip().rstrip(".").lower()
        labels = host.split(".")
        # A wildcard is allowed only as the whole of the first label (RFC 6125 section 6.4.3, as browsers apply it).
        if labels[0] == "*" and len(labels) > 2:
            labels = labels[1:]
        if not host or len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
            raise TLSError(f"'{name}' is not a host name or IP address a certificate can name")
        found.add(host)
    if not found:
        raise TLSError("a certificate needs at least one host name or IP address")
    if len(found) > MAX_NAMES:
        raise TLSError(f"a certificate names at most {MAX_NAMES} hosts, not {len(found)}")
    return tuple(sorted(found))


def server_certificate(ca: LocalCA, names: Iterable[str] | None = None) -> ServerCertificate:
    """A certificate from `ca` for `names` (default_names() when None), reused from the data
    directory when it still fits, else issued and kept there."""
    wanted = normalized_names(default_names() if names is None else names)
    directory = ca.directory.parent / LEAF_DIR
    # One file per set of names: graphpost's own HTTPS and the proxy's hosts keep a certificate each.
    path = directory / f"server-{hashlib.sha256(' '.join(wanted).encode()).hexdigest()[:16]}.pem"
    now = datetime.now(timezone.utc)
    kept = _reusable(path, ca, wanted, now)
    if kept is not None:
        return ServerCertificate(path, wanted, kept)
    certificate, key = issue(ca, wanted, now)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()) + certificate.public_bytes(serialization.Encoding.PEM)
    try:
        directory.mkdir(mode=0o700, exist_ok=True)
        # Two processes issuing at once each rename a whole file: the last one wins, and both are
        # valid, so nobody reads a key that does not match its certificate.
        write_atomically(path, pem, 0o600)
    except OSError as exc:
        raise TLSError(f"cannot write the server certificate {path}: {exc.strerror}") from None
    return ServerCertificate(path, wanted, certificate)


def issue(ca: LocalCA, names: Iterable[str], now: datetime | None = None,
          lifetime: timedelta = LEAF_LIFETIME) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A new key and a certificate from `ca` for `names` (normalised first), valid from `now`."""
    wanted = normalized_names(names)
    now = now or datetime.now(timezone.utc)
    key = ec.generate_private_key(ec.SECP256R1())
    alternative: list[x509.GeneralName] = []
    for name in wanted:
        try:
            alternative.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternative.append(x509.DNSName(name))
    # Clients match only the subject alternative names (RFC 6125); the common name is for people.
    common_name = next((name for name in wanted if not _is_ip(name)), wanted[0])[:64]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(min(now + lifetime, ca.certificate.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(alternative), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
            ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value), critical=False)
        .sign(ca.private_key, hashes.SHA256()))
    return certificate, key


def _reusable(path: Path, ca: LocalCA, names: tuple[str, ...], now: datetime) -> x509.Certificate | None:
    """The kept certificate at `path` if it names exactly `names`, was signed by this CA, and is
    not near expiry; None otherwise (it is then issued again)."""
    try:
        pem = path.read_bytes()
        certificate = x509.load_pem_x509_certificate(pem)
        key = serialization.load_pem_private_key(pem, password=None)
        certificate.verify_directly_issued_by(ca.certificate)
        alternative = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return None
    kept = sorted([*alternative.get_values_for_type(x509.DNSName),
                   *(str(address) for address in alternative.get_values_for_type(x509.IPAddress))])
    if (tuple(kept) != names or key.public_key() != certificate.public_key()
            or certificate.not_valid_after_utc - now < RENEW_BEFORE):
        return None
    return certificate


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
