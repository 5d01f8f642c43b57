"""The seed, end to end: the real Graph SDKs create a draft, send it and read the result in every
mailbox it touched, against a real `graphpost serve`."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, AsyncIterator

import pytest

from tests.e2e.conftest import SdkClients
from tests.e2e.server import ServerProcess, child_environment

pytestmark = pytest.mark.e2e

ALICE, BOB, CAROL, DAVE = "alice@contoso.test", "bob@contoso.test", "carol@contoso.test", "dave@contoso.test"
SDKS = ["msgraph", "msgraph_beta"]


def models(package: str) -> SimpleNamespace:
    """The model classes of msgraph-sdk or msgraph-beta-sdk (same names, different packages)."""
    def load(module: str, name: str) -> Any:
        return getattr(importlib.import_module(f"{package}.generated.{module}"), name)
    return SimpleNamespace(
        Message=load("models.message", "Message"),
        ItemBody=load("models.item_body", "ItemBody"),
        BodyType=load("models.body_type", "BodyType"),
        Recipient=load("models.recipient", "Recipient"),
        EmailAddress=load("models.email_address", "EmailAddress"),
        SendMailPostRequestBody=load("users.item.send_mail.send_mail_post_request_body", "SendMailPostRequestBody"),
    )


def me(client: Any) -> Any:
    """`client.me` is a property in msgraph-sdk and a method in msgraph-beta-sdk 1.66."""
    return client.me() if callable(client.me) else client.me


def client_for(sdk: SdkClients, package: str, token: str) -> Any:
    return sdk.v1(token) if package == "msgraph" else sdk.beta(token)


def recipients(m: SimpleNamespace, *addresses: str) -> list[Any]:
    return [m.Recipient(email_address=m.EmailAddress(address=address)) for address in addresses]


async def folder_messages(client: Any, folder: str) -> list[Any]:
    page = await me(client).mail_folders.by_mail_folder_id(folder).messages.get()
    return list(page.value)


async def folder_total(client: Any, folder: str) -> int:
    return (await me(client).mail_folders.by_mail_folder_id(folder).get()).total_item_count


@pytest.fixture
def users(server_on_each_backend: ServerProcess) -> ServerProcess:
    server = server_on_each_backend
    server.cli("user", "add", CAROL, "--name", "Carol Diaz")
    server.cli("user", "add", DAVE, "--name", "Dave Lee")
    return server


@pytest.fixture
async def sdk(users: ServerProcess) -> AsyncIterator[SdkClients]:
    # The SDK clients of this module talk to the server of the backend under test.
    clients = SdkClients(users)
    yield clients
    await clients.aclose()


@pytest.mark.parametrize("package", SDKS)
async def test_sdk_sends_a_draft_to_to_cc_and_bcc(users: ServerProcess, sdk: SdkClients, package: str) -> None:
    m = models(package)
    alice = client_for(sdk, package, users.token(ALICE))
    draft = await me(alice).messages.post(m.Message(
        subject=f"Quarterly numbers via {package}",
        body=m.ItemBody(content_type=m.BodyType.Html, content="<html><body><p>See <b>attached</b> figures.</p></body></html>"),
        to_recipients=recipients(m, BOB), cc_recipients=recipients(m, CAROL), bcc_recipients=recipients(m, DAVE),
    ))
    assert draft.is_draft is True and draft.id.startswith("AAMk")
    assert [d.id for d in await folder_messages(alice, "drafts")] == [draft.id]

    await me(alice).messages.by_message_id(draft.id).send.post()

    assert await folder_messages(alice, "drafts") == []
    [sent] = await folder_messages(alice, "sentitems")
    assert sent.is_draft is False and sent.sent_date_time is not None
    assert sent.subject == draft.subject and sent.id != draft.id
    assert sent.internet_message_id == draft.internet_message_id
    assert [r.email_address.address for r in sent.bcc_recipients] == [DAVE]
    assert sent.from_.email_address.address == ALICE and sent.body.content_type == m.BodyType.Html

    for upn in (BOB, CAROL, DAVE):
        client = client_for(sdk, package, users.token(upn))
        [received] = await folder_messages(client, "inbox")
        assert received.subject == draft.subject
        assert received.is_read is False and received.is_draft is False
        assert received.internet_message_id == sent.internet_message_id
        assert received.conversation_id == sent.conversation_id
        assert received.from_.email_address.address == ALICE
        assert received.bcc_recipients == []
        assert await folder_total(client, "inbox") == 1


@pytest.mark.parametrize("package", SDKS)
async def test_sdk_send_mail_without_saving_leaves_no_sent_copy(users: ServerProcess, sdk: SdkClients,
                                                              package: str) -> None:
    m = models(package)
    alice = client_for(sdk, package, users.token(ALICE))
    message = m.Message(subject="No copy", body=m.ItemBody(content_type=m.BodyType.Text, content="hi"),
                        to_recipients=recipients(m, BOB, "partner@example.com"))
    await me(alice).send_mail.post(m.SendMailPostRequestBody(message=message, save_to_sent_items=False))
    await me(alice).send_mail.post(m.SendMailPostRequestBody(message=message, save_to_sent_items=True))

    assert [s.subject for s in await folder_messages(alice, "sentitems")] == ["No copy"]
    assert await folder_messages(alice, "drafts") == []
    bob = client_for(sdk, package, users.token(BOB))
    assert await folder_total(bob, "inbox") == 2
    captured = users.cli("outbox", "list", "--state", "captured")
    assert captured.count("partner@example.com") == 2


async def test_readme_quick_start_script_runs_word_for_word(users: ServerProcess) -> None:
    env = child_environment({"GRAPHPOST_URL": users.base_url, "ALICE_TOKEN": users.token(ALICE),
                             "BOB_TOKEN": users.token(BOB)})
    script = Path(__file__).parents[2] / "examples" / "msgraph_quickstart.py"
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "signed in as Alice Smith <alice@contoso.test>" in done.stdout
    assert "bob's Inbox: 'Hello from msgraph-sdk' from alice@contoso.test, read=False" in done.stdout
