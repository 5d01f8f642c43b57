"""`graphpost ca`: the local CA's certificate path, or its PEM text, made on first use."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from graphpost import tls
from graphpost.cli.certificates import local_names
from tests.cli.conftest import make_read_only, run


def test_ca_makes_the_ca_and_prints_the_path_of_its_certificate(tmp_path: Path) -> None:
    code, output = run("ca", "--data-dir", str(tmp_path / "data"))
    ca_file = (tmp_path / "data" / "ca" / "ca.pem").resolve()
    assert (code, output) == (0, f"{ca_file}\n")
    certificate = x509.load_pem_x509_certificate(ca_file.read_bytes())
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca


def test_ca_prints_the_same_ca_each_time(tmp_path: Path) -> None:
    first = run("ca", "--pem", "--data-dir", str(tmp_path))
    again = run("ca", "--pem", "--data-dir", str(tmp_path))
    assert first == again


def test_ca_pem_prints_the_certificate_itself(tmp_path: Path) -> None:
    code, output = run("ca", "--pem", "--data-dir", str(tmp_path))
    assert code == 0
    assert output == (tmp_path / "ca" / "ca.pem").read_text()
    assert output.startswith("-----BEGIN CERTIFICATE-----\n") and output.endswith("-----END CERTIFICATE-----\n")


def test_ca_takes_the_data_dir_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "graphpost.toml"
    config.write_text(f'data_dir = "{tmp_path / "configured"}"\n')
    code, output = run("ca", "--config", str(config))
    assert (code, output) == (0, f"{(tmp_path / 'configured' / 'ca' / 'ca.pem').resolve()}\n")


def test_ca_in_a_directory_it_cannot_write_is_one_line(read_only_dir: Path) -> None:
    make_read_only(read_only_dir)
    code, output = run("ca", "--data-dir", str(read_only_dir))
    assert code == 2
    assert output.startswith(f"graphpost: cannot create the local CA in {read_only_dir / 'ca'}: ")
    assert output.count("\n") == 1 and "Traceback" not in output


def test_ca_with_a_damaged_certificate_says_how_to_get_a_new_one(tmp_path: Path) -> None:
    run("ca", "--data-dir", str(tmp_path))
    (tmp_path / "ca" / "ca.pem").write_text("damaged\n")
    code, output = run("ca", "--data-dir", str(tmp_path))
    assert code == 2
    assert output == (f"graphpost: {tmp_path / 'ca' / 'ca.pem'} is not a PEM certificate (move {tmp_path / 'ca'} "
                      "away to have a new CA made; clients must then trust the new one)\n")


def test_the_local_certificate_also_names_the_address_serve_listens_on() -> None:
    assert local_names("192.0.2.7")[-1] == "192.0.2.7"
    assert local_names("Mail.Example.Test")[-1] == "mail.example.test"
    assert local_names("0.0.0.0") == local_names("::") == tls.default_names()
