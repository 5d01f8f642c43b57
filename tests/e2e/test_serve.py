"""`graphpost serve` as an operator runs it: a real process, tokens from `graphpost token`, and the
official Microsoft Graph SDKs (v1.0 and beta) as clients."""

from __future__ import annotations

import re
import signal
import time
import uuid
from pathlib import Path

import httpx
import pytest
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from tests.backends import count_in_database_file
from tests.e2e.conftest import SdkClients
from tests.e2e.server import ServerProcess, accepts_connections

pytestmark = pytest.mark.e2e

ALICE = "alice@contoso.test"
BOB = "bob@contoso.test"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_guid(text: str) -> None:
    assert str(uuid.UUID(text)) == text, text


async def test_serve_prints_its_url_and_answers_get_me_with_a_token_from_the_cli(
        server: ServerProcess, http: httpx.AsyncClient) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.base_url)
    assert server.port != 0
    # The token from `python -m graphpost token` as a process, as an operator runs it (other
    # tests run the CLI in-process: ServerProcess.run_cli).
    minted = server.run_cli_process("token", "--user", ALICE)
    assert minted.returncode == 0, minted.stderr
    response = await http.get("/v1.0/me", headers={**bearer(minted.stdout.strip()),
                                                   "client-request-id": "e2e-probe-1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["@odata.context"] == f"{server.base_url}/v1.0/$metadata#users/$entity"
    assert (body["displayName"], body["mail"], body["userPrincipalName"]) == ("Alice Smith", ALICE, ALICE)
    assert body["id"] == server.users()[ALICE]
    assert_guid(response.headers["request-id"])
    assert response.headers["client-request-id"] == "e2e-probe-1"


async def test_a_response_repeats_its_request_id_as_client_request_id_when_the_caller_sent_none(
        server: ServerProcess, http: httpx.AsyncClient) -> None:
    response = await http.get("/v1.0/me", headers=bearer(server.token()))
    assert response.status_code == 200, response.text
    assert response.headers["client-request-id"] == response.headers["request-id"]


async def test_msgraph_sdk_get_me_returns_alice(server: ServerProcess, sdk: SdkClients) -> None:
    me = await sdk.v1(server.token(user=ALICE)).me.get()
    assert me is not None
    assert (me.display_name, me.mail, me.user_principal_name) == ("Alice Smith", ALICE, ALICE)
    assert me.id == server.users()[ALICE]


async def test_msgraph_beta_sdk_get_me_on_beta_returns_alice(server: ServerProcess, sdk: SdkClients) -> None:
    me = await sdk.beta(server.token(user=ALICE)).me().get()
    assert me is not None
    assert (me.display_name, me.mail, me.user_principal_name) == ("Alice Smith", ALICE, ALICE)
    assert me.id == server.users()[ALICE]


async def test_msgraph_sdk_reads_bob_by_upn_with_an_application_token(server: ServerProcess,
                                                                      sdk: SdkClients) -> None:
    client_id = server.add_app("ci", ["Mail.Send", "User.Read.All"])
    bob = await sdk.v1(server.app_token(client_id)).users.by_user_id(BOB).get()
    assert bob is not None
    assert (bob.display_name, bob.mail, bob.user_principal_name) == ("Bob Jones", BOB, BOB)
    assert bob.id == server.users()[BOB]


async def test_msgraph_sdk_raises_odata_error_invalid_authentication_token_for_a_garbage_token(
        server: ServerProcess, sdk: SdkClients) -> None:
    with pytest.raises(ODataError) as raised:
        await sdk.v1("not-a-jwt").me.get()
    assert raised.value.response_status_code == 401
    assert raised.value.error is not None
    assert raised.value.error.code == "InvalidAuthenticationToken"


async def test_user_add_prints_a_guid_and_a_token_for_the_new_user_works_on_me(
        server: ServerProcess, http: httpx.AsyncClient) -> None:
    carol_id = server.cli("user", "add", "carol@contoso.test", "--name", "Carol Diaz").split()[-1]
    assert_guid(carol_id)
    response = await http.get("/v1.0/me", headers=bearer(server.token(user="carol@contoso.test")))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["displayName"]) == (carol_id, "Carol Diaz")
    assert body["userPrincipalName"] == body["mail"] == "carol@contoso.test"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_server_stops_cleanly_on_a_termination_signal(server: ServerProcess, sig: signal.Signals) -> None:
    code = server.stop(sig, timeout=10)
    # uvicorn re-raises the signal once it has shut down: killed by it, or 128+n for SIGINT's
    # KeyboardInterrupt turned into an exit code.
    assert code in (0, -sig, 128 + sig), (code, server.output())
    assert server.wait_for_output(r"graphpost stopped", timeout=1), server.output()
    assert "Traceback" not in server.output(), server.output()


def _children(pid: int) -> dict[int, str]:
    """The command lines of the running child processes of `pid`, by pid (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_after_send_mail_the_server_and_its_sqlite_writer_stop_cleanly(server: ServerProcess,
                                                                       sig: signal.Signals) -> None:
    # A sendMail starts the SQLite writer process (store/sqlite_writer.py); stopping must stop it too.
    message = {"subject": "Before stopping", "body": {"contentType": "text", "content": "hi"},
               "toRecipients": [{"emailAddress": {"address": BOB}}]}
    answer = httpx.post(f"{server.base_url}/v1.0/me/sendMail", headers=bearer(server.token(ALICE)),
                        json={"message": message}, timeout=30)
    assert answer.status_code == 202, answer.text
    # While it serves, the WAL is checkpointed (store/checkpoints.py): the message reaches the
    # database file itself.
    deadline = time.monotonic() + 10
    while (found := count_in_database_file(server.data_dir / "graphpost.db", "SELECT count(*) FROM messages "
                                           "WHERE subject = 'Before stopping'")) != 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert found == 2  # alice's Sent Items and bob's Inbox
    writers = [pid for pid, line in _children(server.pid).items() if "graphpost.store.sqlite_writer" in line]
    assert len(writers) == 1, _children(server.pid)
    code = server.stop(sig, timeout=10)
    assert code in (0, -sig, 128 + sig), (code, server.output())
    deadline = time.monotonic() + 5
    while _alive(writers[0]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(writers[0]), "the SQLite writer process outlived the server"
    assert "Traceback" not in server.output(), server.output()


def test_serve_accepts_connections_as_soon_as_it_prints_its_url(data_dir: Path) -> None:
    with ServerProcess(data_dir).start(wait_ready=False) as server:
        assert accepts_connections(server.host, server.port)
