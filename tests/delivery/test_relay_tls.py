"""The relay client against a real aiosmtpd server: STARTTLS and implicit TLS verified against a
test CA, AUTH, certificate verification on by default, and connection reuse."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from pathlib import Path
from typing import Any, Iterator

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from graphpost.config import Settings
from graphpost.delivery.relay import Relay
from tests.ports import free_port, wait_for_listener

MESSAGE = b"From: alice@contoso.test\r\nTo: x@example.com\r\nSubject: hi\r\nMessage-ID: <1@contoso.test>\r\n\r\nhello\r\n"


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A test CA and a server certificate for 127.0.0.1 signed by it."""
    folder = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("graphpost test CA")).issuer_name(_name("graphpost test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {"ca": folder / "ca.pem", "cert": folder / "server.pem", "key": folder / "server.key"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return paths


def _server_context(pki: dict[str, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki["cert"], pki["key"])
    return context


class Recorder:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.sessions: set[int] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.sessions.add(id(session))
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"relayuser", b"s3cret")
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def starttls_relay(pki: dict[str, Path]) -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, tls_context=_server_context(pki),
                            require_starttls=True, authenticator=_authenticator, auth_require_tls=True)
    controller.start()
    yield recorder, port
    controller.stop()


@pytest.fixture
def implicit_tls_relay(pki: dict[str, Path]) -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, ssl_context=_server_context(pki))
    controller.start()
    yield recorder, port
    controller.stop()


def relay(port: int, **settings: Any) -> Relay:
    return Relay(Settings(relay_host="127.0.0.1", relay_port=port, **settings))


async def test_starttls_verified_by_the_ca_file_with_auth(starttls_relay: tuple[Recorder, int],
                                                         pki: dict[str, Path]) -> None:
    recorder, port = starttls_relay
    outcome = await relay(port, relay_tls="starttls", relay_ca_file=pki["ca"], relay_username="relayuser",
                          relay_password="s3cret").send("alice@contoso.test", ["x@example.com"], MESSAGE)
    assert outcome.accepted == ["x@example.com"] and not outcome.temporary and not outcome.permanent
    assert recorder.messages[0][:2] == ("alice@contoso.test", ["x@example.com"])


async def test_a_certificate_from_an_unknown_ca_is_refused_by_default(starttls_relay: tuple[Recorder, int]) -> None:
    recorder, port = starttls_relay
    outcome = await relay(port, relay_tls="starttls", relay_username="relayuser",
                          relay_password="s3cret").send("alice@contoso.test", ["x@example.com"], MESSAGE)
    assert "x@example.com" in outcome.temporary and recorder.messages == []
    assert "certificate" in outcome.temporary["x@example.com"].lower()


async def test_wrong_credentials_are_a_permanent_refusal(starttls_relay: tuple[Recorder, int],
                                                         pki: dict[str, Path]) -> None:
    recorder, port = starttls_relay
    outcome = await relay(port, relay_tls="starttls", relay_ca_file=pki["ca"], relay_username="relayuser",
                          relay_password="wrong").send("alice@contoso.test", ["x@example.com"], MESSAGE)
    assert recorder.messages == []
    assert outcome.permanent.get("x@example.com", "").startswith("535")


async def test_implicit_tls(implicit_tls_relay: tuple[Recorder, int], pki: dict[str, Path]) -> None:
    recorder, port = implicit_tls_relay
    outcome = await relay(port, relay_tls="tls", relay_ca_file=pki["ca"]).send(
        "alice@contoso.test", ["x@example.com"], MESSAGE)
    assert outcome.accepted == ["x@example.com"] and len(recorder.messages) == 1


async def test_a_session_reuses_one_connection(implicit_tls_relay: tuple[Recorder, int], pki: dict[str, Path]) -> None:
    recorder, port = implicit_tls_relay
    async with relay(port, relay_tls="tls", relay_ca_file=pki["ca"]).session() as session:
        for _ in range(3):
            assert (await session.send("alice@contoso.test", ["x@example.com"], MESSAGE)).accepted
        assert session.connections == 1
    assert len(recorder.messages) == 3 and len(recorder.sessions) == 1


async def test_a_relay_that_is_down_is_a_temporary_failure() -> None:
    outcome = await relay(free_port(), relay_tls="none").send("alice@contoso.test", ["x@example.com"], MESSAGE)
    assert list(outcome.temporary) == ["x@example.com"] and "connection" in outcome.temporary["x@example.com"]


SMTP_SINK = Path("/usr/sbin/smtp-sink")


@pytest.mark.skipif(not SMTP_SINK.exists(), reason="Postfix's smtp-sink is not installed")
async def test_postfix_smtp_sink_accepts_what_the_relay_sends() -> None:
    import asyncio
    import os
    import tempfile
    port = free_port()
    # As root, smtp-sink insists on dropping privileges to a user of its own, who must be able to
    # reach and write the dump folder (pytest's tmp_path sits in a root-only folder).
    user = ["-u", "postfix"] if os.geteuid() == 0 else []
    folder = tempfile.TemporaryDirectory(prefix="graphpost-smtp-sink-")
    tmp_path = Path(folder.name)
    tmp_path.chmod(0o777)
    sink = await asyncio.create_subprocess_exec(str(SMTP_SINK), *user, "-d", str(tmp_path / "%M."),
                                                f"127.0.0.1:{port}", "10")
    try:
        await wait_for_listener(port)
        outcome = await relay(port, relay_tls="none").send("alice@contoso.test", ["x@example.com", "y@example.org"],
                                                           MESSAGE)
        assert sorted(outcome.accepted) == ["x@example.com", "y@example.org"]
    finally:
        sink.terminate()
        await sink.wait()
    dumped = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    folder.cleanup()
    assert b"Message-ID: <1@contoso.test>" in dumped
