"""Clients' own retries against a real `graphpost serve` with faults and throttling on: msgraph-sdk's
retry handler, O365's retries and an azure-core pipeline's retry policy each get Graph's 429s and
503s with `Retry-After: 1`, wait, retry and succeed.

Faults are seeded (`--fault-seed`) and each test sends its requests one after the other, so every
run fails the same requests: the tests are repeatable, and each checks in the server's access log
that it was failed at least once (else it would prove nothing)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from azure.core.pipeline import Pipeline
from azure.core.pipeline.policies import HeadersPolicy, RetryPolicy
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest

from tests.e2e.conftest import SdkClients
from tests.e2e.o365_client import o365_account
from tests.e2e.server import ServerProcess
from tests.e2e.test_send_sdk import ALICE, BOB, me, models

pytestmark = pytest.mark.e2e

SEED = "11"


def server_with(data_dir: Path, **settings: str) -> ServerProcess:
    env = {"GRAPHPOST_FAULT_RETRY_AFTER": "1", **{f"GRAPHPOST_{name.upper()}": value for name, value in settings.items()}}
    return ServerProcess(data_dir, env=env)


def answered(server: ServerProcess, status: int, path: str) -> int:
    """How many requests for `path` the server answered with `status` (its access log)."""
    pattern = re.compile(rf" {re.escape(path)} {status} ")
    return sum(1 for line in server.log.text().splitlines() if pattern.search(line))


@pytest.fixture
def faulty(data_dir: Path) -> Iterator[ServerProcess]:
    """Half the requests fail with 429 or 503, and a mailbox sends at most one message a second."""
    with server_with(data_dir, faults="0.5", fault_statuses="429,503", fault_seed=SEED, throttling="true",
                     throttle_messages="1", throttle_messages_window="1s") as running:
        yield running


@pytest.fixture
async def sdk(faulty: ServerProcess) -> Any:
    clients = SdkClients(faulty)
    yield clients
    await clients.aclose()


async def test_msgraph_sdk_retries_faults_and_throttling_and_sends_once_each(
        faulty: ServerProcess, sdk: SdkClients) -> None:
    m = models("msgraph")
    client = sdk.v1(faulty.token(ALICE))
    for subject in ("first", "second"):
        message = m.Message(subject=subject, body=m.ItemBody(content_type=m.BodyType.Text, content="hi"),
                            to_recipients=[m.Recipient(email_address=m.EmailAddress(address=BOB))])
        await me(client).send_mail.post(m.SendMailPostRequestBody(message=message, save_to_sent_items=True))
    sent = await me(client).mail_folders.by_mail_folder_id("sentitems").messages.get()
    assert sorted(message.subject for message in sent.value) == ["first", "second"]
    # The second sendMail came within a second of the first: Exchange's rate refused it once at least.
    assert answered(faulty, 429, "/v1.0/me/sendMail") >= 1
    assert answered(faulty, 202, "/v1.0/me/sendMail") == 2
    assert answered(faulty, 503, "/v1.0/me/sendMail") + answered(faulty, 503, "/v1.0/me/mailFolders/sentitems/messages") \
        + answered(faulty, 429, "/v1.0/me/mailFolders/sentitems/messages") >= 1


def test_o365_retries_faults_and_reads_the_inbox(faulty: ServerProcess) -> None:
    account = o365_account(faulty, BOB, request_retries=5)
    folders = [folder.name for folder in account.mailbox().get_folders()]
    assert "Inbox" in folders
    assert list(account.mailbox().inbox_folder().get_messages(limit=5)) == []
    assert answered(faulty, 429, "/v1.0/me/mailFolders") + answered(faulty, 503, "/v1.0/me/mailFolders") \
        + answered(faulty, 429, "/v1.0/me/mailFolders/Inbox/messages") \
        + answered(faulty, 503, "/v1.0/me/mailFolders/Inbox/messages") >= 1


def test_an_azure_core_pipeline_retries_faults_and_succeeds(data_dir: Path) -> None:
    # azure-core retries a POST only on 500, 503 and 504: the faults here are 503s.
    with server_with(data_dir, faults="0.5", fault_statuses="503", fault_seed=SEED) as server:
        policies = [HeadersPolicy({"Authorization": f"Bearer {server.token(ALICE)}"}),
                    RetryPolicy(retry_total=6, retry_backoff_factor=0.1)]
        with Pipeline(transport=RequestsTransport(), policies=policies) as pipeline:
            for index in range(3):
                request = HttpRequest("POST", server.base_url + "/v1.0/me/sendMail", json={"message": {
                    "subject": f"azure {index}", "toRecipients": [{"emailAddress": {"address": BOB}}]}})
                assert pipeline.run(request).http_response.status_code == 202
            response = pipeline.run(HttpRequest("GET", server.base_url + "/v1.0/me/mailFolders/sentitems"))
            assert response.http_response.status_code == 200
            assert response.http_response.json()["totalItemCount"] == 3
        assert answered(server, 503, "/v1.0/me/sendMail") + answered(server, 503, "/v1.0/me/mailFolders/sentitems") >= 1
        assert answered(server, 202, "/v1.0/me/sendMail") == 3


def test_serve_flags_turn_faults_on(data_dir: Path) -> None:
    with ServerProcess(data_dir, serve_args=["--faults", "1", "--fault-seed", SEED]) as server:
        response = httpx.get(server.base_url + "/v1.0/me/mailFolders/inbox",
                             headers={"Authorization": f"Bearer {server.token(ALICE)}"}, timeout=10)
        assert response.status_code in (429, 500, 502, 503, 504)
        assert response.json()["error"]["innerError"]["request-id"] == response.headers["request-id"]
