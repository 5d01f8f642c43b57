"""The local CA: made once in the data directory, shaped as OpenSSL 3 and Chromium want a root,
its key the owner's alone, and safe to make from two processes at once."""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from graphpost import tls
from graphpost.tls import authority


def test_the_ca_is_made_on_first_use_with_its_key_readable_by_the_owner_only(tmp_path: Path) -> None:
    ca = tls.local_ca(tmp_path / "data")
    assert ca.cert_path == tmp_path / "data" / "ca" / "ca.pem"
    assert sorted(path.name for path in ca.directory.iterdir()) == ["ca-key.pem", "ca.pem"]
    assert stat.S_IMODE(ca.key_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(ca.cert_path.stat().st_mode) == 0o644
    assert [path.name for path in (tmp_path / "data").iterdir()] == ["ca"]   # no staging directory left


def test_the_ca_certificate_is_a_root_openssl_and_chromium_accept(tmp_path: Path) -> None:
    ca = tls.local_ca(tmp_path)
    certificate = x509.load_pem_x509_certificate(ca.cert_path.read_bytes())
    extensions = certificate.extensions
    constraints = extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca
    usage = extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    ski = extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(certificate.public_key())
    assert certificate.subject == certificate.issuer
    certificate.verify_directly_issued_by(certificate)   # self-signed, with its own key
    key = certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    lifetime = certificate.not_valid_after_utc - certificate.not_valid_before_utc
    assert 3000 < lifetime.days < 4000


def test_the_ca_is_kept_across_calls(tmp_path: Path) -> None:
    first = tls.local_ca(tmp_path)
    again = tls.local_ca(tmp_path)
    assert again.pem == first.pem and again.private_key.private_numbers() == first.private_key.private_numbers()


def test_two_cas_get_different_names(tmp_path: Path) -> None:
    one, other = tls.local_ca(tmp_path / "one"), tls.local_ca(tmp_path / "other")
    assert one.certificate.subject != other.certificate.subject


def test_a_process_that_loses_the_race_to_make_the_ca_uses_the_winners(tmp_path: Path) -> None:
    winner = tls.local_ca(tmp_path)
    # What the loser does after it found no CA and made its own: its rename fails on the winner's directory.
    authority._create(tmp_path, tmp_path / tls.CA_DIR)
    assert tls.local_ca(tmp_path).pem == winner.pem
    assert [path.name for path in tmp_path.iterdir()] == ["ca"]


def _make_ca(data_dir: str) -> str:
    return tls.local_ca(Path(data_dir)).pem


def test_processes_making_the_ca_at_once_all_get_the_same_one(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        made = pool.map(_make_ca, [str(tmp_path)] * 8)
    assert len(set(made)) == 1
    assert tls.local_ca(tmp_path).pem == made[0]
    assert sorted(path.name for path in (tmp_path / "ca").iterdir()) == ["ca-key.pem", "ca.pem"]


def test_a_ca_key_that_is_not_a_key_is_one_line_naming_the_file(tmp_path: Path) -> None:
    ca = tls.local_ca(tmp_path)
    ca.key_path.write_text("not a key\n")
    with pytest.raises(tls.TLSError) as caught:
        tls.local_ca(tmp_path)
    assert str(caught.value).startswith(f"{ca.key_path} is not an unencrypted PEM EC private key (move ")
    assert "\n" not in str(caught.value)


def test_a_ca_key_of_another_ca_is_refused(tmp_path: Path) -> None:
    ca = tls.local_ca(tmp_path / "one")
    other = tls.local_ca(tmp_path / "other")
    ca.key_path.write_bytes(other.key_path.read_bytes())
    with pytest.raises(tls.TLSError, match="^the CA key .* does not belong to the certificate "):
        tls.local_ca(tmp_path / "one")


def test_a_data_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(tls.TLSError, match=f"^the data directory {tmp_path / 'file'} is a file, not a directory$"):
        tls.local_ca(tmp_path / "file")
