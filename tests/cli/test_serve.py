"""`graphpost serve` as a process: ports checked before it says it listens, and the token command
it prints works when pasted."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

from graphpost import tls
from tests.e2e.server import ServerProcess, child_environment, graphpost_command
from tests.ports import free_port
from tests.tls.certificate_files import write_certificate_and_key

# A process that should refuse to start is killed if it is still running after this: the
# assertion below then fails (it ran, when it should have stopped).
REFUSAL_TIMEOUT = 60


def _refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The one line serve ended with (log lines of the start-up may come before it), checked to be
    its last, with exit code 2 and no traceback."""
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "graphpost listening on" not in done.stdout, done.stderr
    return done.stderr.splitlines()[-1]


def _serve(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(graphpost_command() + ["serve", "--data-dir", str(data_dir), *args],
                              env=child_environment(), capture_output=True, text=True, timeout=REFUSAL_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"serve {' '.join(args)} kept running instead of refusing to start; output:\n"
                             f"{exc.stdout!r}\n{exc.stderr!r}") from None


def test_serve_refuses_to_start_when_the_smtp_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _serve(tmp_path, "--port", "0", "--smtp-port", str(port))
    assert _refusal(done) == f"graphpost: cannot listen for SMTP on 127.0.0.1:{port}: Address already in use"


def test_serve_refuses_an_smtp_port_equal_to_the_http_port(tmp_path: Path) -> None:
    port = free_port()
    done = _serve(tmp_path, "--port", str(port), "--smtp-port", str(port))
    assert _refusal(done) == (f"graphpost: --smtp-port {port} is the port the HTTP API listens on; "
                              "give them different ports")


def test_serve_refuses_to_start_with_a_corrupt_signing_key(tmp_path: Path) -> None:
    (tmp_path / "signing-key.pem").write_text("not a key\n")
    done = _serve(tmp_path, "--port", "0")
    assert _refusal(done).startswith(f"graphpost: {tmp_path / 'signing-key.pem'} is not an unencrypted PEM RSA")


def test_the_token_command_serve_prints_works_as_pasted(tmp_path: Path) -> None:
    # A shell whose PATH does not find graphpost, as in a fresh checkout without an activated venv.
    shell_env = {**child_environment(), "PATH": os.defpath}
    with ServerProcess(tmp_path / "data") as server:
        hint = server.wait_for_output(r"^mint a token with: (.+)$")
        assert hint is not None, server.output()
        pasted = subprocess.run(hint.group(1), shell=True, env=shell_env, capture_output=True, text=True,
                                timeout=60)
    assert pasted.returncode == 0, pasted.stderr
    assert re.fullmatch(r"[\w-]+\.[\w-]+\.[\w-]+\n", pasted.stdout)


def test_serve_refuses_a_tls_certificate_file_that_is_not_there(tmp_path: Path) -> None:
    done = _serve(tmp_path / "data", "--port", "0", "--tls-cert", str(tmp_path / "cert.pem"))
    assert _refusal(done) == f"graphpost: cannot read the TLS certificate {tmp_path / 'cert.pem'}: " \
                             "No such file or directory"


def test_serve_refuses_a_tls_certificate_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").mkdir()   # unreadable as a file, even for root
    done = _serve(tmp_path / "data", "--port", "0", "--tls-cert", str(tmp_path / "cert.pem"))
    assert _refusal(done) == f"graphpost: cannot read the TLS certificate {tmp_path / 'cert.pem'}: Is a directory"


def test_serve_refuses_a_tls_key_of_another_certificate(tmp_path: Path) -> None:
    own_ca = tls.local_ca(tmp_path / "company")
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    cert_file, _ = write_certificate_and_key(own_ca, tmp_path / "one", ["localhost"])
    _, other_key = write_certificate_and_key(own_ca, tmp_path / "two", ["localhost"])
    done = _serve(tmp_path / "data", "--port", "0", "--tls-cert", str(cert_file), "--tls-key", str(other_key))
    assert _refusal(done) == f"graphpost: the TLS key {other_key} does not belong to the certificate {cert_file}"


def test_serve_refuses_a_tls_key_without_a_certificate(tmp_path: Path) -> None:
    done = _serve(tmp_path / "data", "--port", "0", "--tls-key", str(tmp_path / "key.pem"))
    assert _refusal(done) == "graphpost: tls_key (--tls-key) needs tls_cert (--tls-cert): the certificate it is the key of"


def test_serve_tls_refuses_a_damaged_local_ca(tmp_path: Path) -> None:
    tls.local_ca(tmp_path)
    (tmp_path / "ca" / "ca-key.pem").write_text("damaged\n")
    done = _serve(tmp_path, "--port", "0", "--tls")
    assert _refusal(done).startswith(f"graphpost: {tmp_path / 'ca' / 'ca-key.pem'} is not an unencrypted PEM EC "
                                     "private key (move ")


def test_serve_refuses_a_tls_setting_that_is_not_a_boolean(tmp_path: Path) -> None:
    done = subprocess.run(graphpost_command() + ["serve", "--data-dir", str(tmp_path), "--port", "0"],
                          env=child_environment({"GRAPHPOST_TLS": "maybe"}), capture_output=True, text=True,
                          timeout=REFUSAL_TIMEOUT, stdin=subprocess.DEVNULL)
    assert _refusal(done).startswith("graphpost: bad setting 'tls' = 'maybe' (from GRAPHPOST_TLS): ")
