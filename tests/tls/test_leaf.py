"""Server certificates from the local CA: trusted for exactly their names by the stdlib's ssl
and by cryptography's (Chromium-like) verifier, and kept until they no longer fit."""

from __future__ import annotations

import ssl
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from graphpost import tls
from graphpost.tls import leaf
from tests.tls.handshake import client_trusting, handshake


@pytest.fixture
def ca(tmp_path: Path) -> tls.LocalCA:
    return tls.local_ca(tmp_path / "data")


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "::1"])
def test_the_default_certificate_is_trusted_by_ssl_for_each_local_name(ca: tls.LocalCA, name: str) -> None:
    served = tls.server_certificate(ca)
    client = handshake(tls.server_context(served.path), client_trusting(ca.cert_path), name)
    peer = client.getpeercert()
    assert peer is not None and peer["subjectAltName"] == (
        ("IP Address", "127.0.0.1"), ("IP Address", "0:0:0:0:0:0:0:1"), ("DNS", "localhost"),
        ("DNS", tls.default_names()[3].lower()))


def test_the_certificate_is_refused_for_a_name_it_does_not_carry(ca: tls.LocalCA) -> None:
    served = tls.server_certificate(ca)
    with pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"):
        handshake(tls.server_context(served.path), client_trusting(ca.cert_path), "graph.microsoft.com")


def test_the_certificate_is_refused_by_a_client_that_does_not_trust_the_ca(ca: tls.LocalCA, tmp_path: Path) -> None:
    served = tls.server_certificate(ca)
    stranger = tls.local_ca(tmp_path / "elsewhere")
    with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer certificate"):
        handshake(tls.server_context(served.path), client_trusting(stranger.cert_path), "localhost")


def test_a_certificate_for_graphs_host_names_verifies_with_cryptographys_web_pki_policy(ca: tls.LocalCA) -> None:
    hosts = ["graph.microsoft.com", "login.microsoftonline.com"]
    served = tls.server_certificate(ca, hosts)
    verifier = PolicyBuilder().store(Store([ca.certificate])).build_server_verifier(x509.DNSName(hosts[1]))
    chain = verifier.verify(served.certificate, [])
    assert chain == [served.certificate, ca.certificate]
    other = PolicyBuilder().store(Store([ca.certificate])).build_server_verifier(x509.DNSName("microsoft.com"))
    with pytest.raises(VerificationError):
        other.verify(served.certificate, [])


def test_the_certificate_is_for_servers_only_names_its_issuer_and_lives_under_398_days(ca: tls.LocalCA) -> None:
    served = tls.server_certificate(ca, ["localhost"])
    extensions = served.certificate.extensions
    assert extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.SERVER_AUTH])
    assert not extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier == ca.key_identifier
    assert extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["localhost"]
    lifetime = served.certificate.not_valid_after_utc - served.certificate.not_valid_before_utc
    assert lifetime < timedelta(days=398)
    assert stat.S_IMODE(served.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(served.path.parent.stat().st_mode) == 0o700


def test_the_certificate_is_kept_while_the_names_are_the_same(ca: tls.LocalCA) -> None:
    first = tls.server_certificate(ca, ["localhost", "127.0.0.1"])
    again = tls.server_certificate(ca, ["127.0.0.1", "LOCALHOST."])
    assert again.path == first.path and again.certificate == first.certificate


def test_other_names_get_a_certificate_of_their_own_beside_the_first(ca: tls.LocalCA) -> None:
    first = tls.server_certificate(ca, ["localhost"])
    other = tls.server_certificate(ca, ["graph.microsoft.com"])
    assert other.path != first.path and first.path.exists()
    assert tls.server_certificate(ca, ["localhost"]).certificate == first.certificate


def test_a_certificate_near_expiry_is_issued_again(ca: tls.LocalCA) -> None:
    first = tls.server_certificate(ca, ["localhost"])
    certificate, key = tls.issue(ca, ["localhost"], datetime.now(timezone.utc), lifetime=leaf.RENEW_BEFORE / 2)
    first.path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption())
                           + certificate.public_bytes(serialization.Encoding.PEM))
    renewed = tls.server_certificate(ca, ["localhost"])
    assert renewed.certificate != certificate
    assert renewed.certificate.not_valid_after_utc - datetime.now(timezone.utc) > leaf.RENEW_BEFORE


def test_a_certificate_of_a_former_ca_is_issued_again(ca: tls.LocalCA, tmp_path: Path) -> None:
    first = tls.server_certificate(ca, ["localhost"])
    # The operator moved the CA away to have a new one made.
    ca.directory.rename(tmp_path / "old-ca")
    new_ca = tls.local_ca(ca.directory.parent)
    renewed = tls.server_certificate(new_ca, ["localhost"])
    assert renewed.path == first.path
    renewed.certificate.verify_directly_issued_by(new_ca.certificate)


def test_a_damaged_cached_certificate_is_issued_again(ca: tls.LocalCA) -> None:
    first = tls.server_certificate(ca, ["localhost"])
    first.path.write_text("-----BEGIN CERTIFICATE-----\ngarbage\n")
    handshake(tls.server_context(tls.server_certificate(ca, ["localhost"]).path), client_trusting(ca.cert_path),
              "localhost")


def test_names_are_normalised() -> None:
    assert tls.normalized_names(["Graph.Microsoft.COM.", "0:0::1", "*.example.org", "127.0.0.1", "localhost",
                                 "localhost"]) == ("*.example.org", "127.0.0.1", "::1", "graph.microsoft.com",
                                                   "localhost")


@pytest.mark.parametrize("name", ["", "bad name", "-dash.example", "*.com", "a.*.example", "x" * 64 + ".example",
                                  "fe80::1%eth0", "ex\u00e4mple.org"])
def test_a_name_no_certificate_can_carry_is_refused(name: str) -> None:
    with pytest.raises(tls.TLSError, match="is not a host name or IP address a certificate can name"):
        tls.normalized_names([name])


def test_the_number_of_names_is_bounded() -> None:
    with pytest.raises(tls.TLSError, match=f"at most {leaf.MAX_NAMES} hosts"):
        tls.normalized_names(f"host{i}.example" for i in range(leaf.MAX_NAMES + 1))
    with pytest.raises(tls.TLSError, match="at least one"):
        tls.normalized_names([])


def test_a_host_name_no_certificate_can_carry_is_left_out_of_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("socket.gethostname", lambda: "build_box")
    assert tls.default_names() == ["localhost", "127.0.0.1", "::1"]
    monkeypatch.setattr("socket.gethostname", lambda: "Build-Box.lan")
    assert tls.default_names() == ["localhost", "127.0.0.1", "::1", "build-box.lan"]
