"""The server SSLContext, over the local CA's certificate or a user's own, and each way a user's
files can be wrong told in one line naming the file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from graphpost import tls
from tests.tls.certificate_files import write_certificate_and_key
from tests.tls.handshake import client_trusting, handshake


@pytest.fixture
def own_ca(tmp_path: Path) -> tls.LocalCA:
    """Stands for the operator's own CA (a company's, say), unrelated to graphpost's data directory."""
    return tls.local_ca(tmp_path / "company")


def test_a_user_certificate_with_a_separate_key_is_served(own_ca: tls.LocalCA, tmp_path: Path) -> None:
    cert_file, key_file = write_certificate_and_key(own_ca, tmp_path, ["mail.example.org"])
    client = handshake(tls.server_context(cert_file, key_file), client_trusting(own_ca.cert_path), "mail.example.org")
    peer = client.getpeercert()
    assert peer is not None and peer["subjectAltName"] == (("DNS", "mail.example.org"),)
    assert client.version() in {"TLSv1.2", "TLSv1.3"}


def test_http_1_1_is_what_alpn_negotiates(own_ca: tls.LocalCA, tmp_path: Path) -> None:
    cert_file, key_file = write_certificate_and_key(own_ca, tmp_path, ["localhost"])
    client_context = client_trusting(own_ca.cert_path)
    client_context.set_alpn_protocols(["h2", "http/1.1"])
    client = handshake(tls.server_context(cert_file, key_file), client_context, "localhost")
    assert client.selected_alpn_protocol() == "http/1.1"


def test_a_user_certificate_and_key_in_one_file_are_served(own_ca: tls.LocalCA, tmp_path: Path) -> None:
    cert_file, key_file = write_certificate_and_key(own_ca, tmp_path, ["localhost"])
    both = tmp_path / "both.pem"
    both.write_bytes(cert_file.read_bytes() + key_file.read_bytes())
    handshake(tls.server_context(both), client_trusting(own_ca.cert_path), "localhost")


def test_a_missing_certificate_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(tls.TLSError) as caught:
        tls.server_context(tmp_path / "nope.pem", tmp_path / "key.pem")
    assert str(caught.value) == f"cannot read the TLS certificate {tmp_path / 'nope.pem'}: No such file or directory"


def test_a_missing_key_file_is_named(own_ca: tls.LocalCA, tmp_path: Path) -> None:
    cert_file, _ = write_certificate_and_key(own_ca, tmp_path, ["localhost"])
    with pytest.raises(tls.TLSError) as caught:
        tls.server_context(cert_file, tmp_path / "nokey.pem")
    assert str(caught.value) == f"cannot read the TLS key {tmp_path / 'nokey.pem'}: No such file or directory"


def test_a_file_without_a_certificate_is_named(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("hello\n")
    with pytest.raises(tls.TLSError) as caught:
        tls.server_context(tmp_path / "cert.pem")
    assert str(caught.value) == f"the TLS certificate {tmp_path / 'cert.pem'} holds no PEM certificate"


def test_a_certificate_without_its_key_asks_for_the_key_file(own_ca: tls.LocalCA, tmp_path: Path) -> None:
    cert_file, _ = write_certificate_and_key(own_ca, tmp_path, ["localhost"])
    with pytest.raises(tls.TLSError) as caught:
        tls.server_context(cert_file)
    assert str(caught.value) == f"{cert_file} holds no PEM private key (give the key file too)"


def test_a_key_of_another_certificate_is_refused(own_ca: tls.LocalCA, tmp_path: Path) -> None:
    cert_file, _ = write_certificate_and_key(own_ca, tmp_path, ["localhost"])
    (tmp_path / "other").mkdir()
    _, other_key = write_certificate_and_key(own_ca, tmp_path / "other", ["localhost"])
    with pytest.raises(tls.TLSError) as caught:
        tls.server_context(cert_file, other_key)
    assert str(caught.value) == f"the TLS key {other_key} does not belong to the certificate {cert_file}"


def test_an_encrypted_key_is_refused_without_asking_for_a_password(own_ca: tls.LocalCA, tmp_path: Path) -> None:
    cert_file, key_file = write_certificate_and_key(own_ca, tmp_path, ["localhost"], password=b"secret")
    with pytest.raises(tls.TLSError) as caught:
        tls.server_context(cert_file, key_file)
    assert str(caught.value) == f"the TLS key {key_file} is encrypted; graphpost needs it unencrypted"


def test_an_expired_certificate_is_refused(own_ca: tls.LocalCA, tmp_path: Path) -> None:
    cert_file, key_file = write_certificate_and_key(own_ca, tmp_path, ["localhost"], lifetime=timedelta(days=1),
                                                    ago=timedelta(days=3))
    with pytest.raises(tls.TLSError, match=f"^the TLS certificate {cert_file} expired on \\d{{4}}-\\d\\d-\\d\\d$"):
        tls.server_context(cert_file, key_file)
