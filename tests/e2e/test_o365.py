"""The O365 library (python-o365 2.1) pointed at a real `graphpost serve`: `new_message()` with
attachments and `send()`, `Message.reply()`, `Message.forward()`, and a file over 3 MB, which O365
uploads through an attachment upload session.

O365 is set up as the shared reference describes: `MSGraphProtocol` with its `service_url` moved to
the server, a `MemoryTokenBackend` (nothing read from or written to disk) and a session that
already carries the bearer token from `graphpost token`, so no OAuth flow runs. O365 builds every
URL as `service_url + main_resource + endpoint` (`me/…` by default), so only `service_url` moves."""

from __future__ import annotations

import base64
import hashlib
import urllib.parse
from pathlib import Path
from typing import Any, Iterator

import httpx
import requests
import pytest
from O365.message import Message

from tests.e2e.o365_client import o365_account
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e

ALICE, BOB, CAROL = "alice@contoso.test", "bob@contoso.test", "carol@contoso.test"
NOTE = b"Minutes of the kickoff meeting.\n"
BIG = 3 * 1024 * 1024 + 512 * 1024  # over O365's 3 MB limit for a plain POST: it opens an upload session


class Graph:
    """Plain HTTP reads as one user, to check what O365 did without going through O365."""

    def __init__(self, client: httpx.Client, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: str) -> Any:
        response = self.client.get("/v1.0/me/" + path, params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json() if "json" in response.headers.get("content-type", "") else response.content

    def folder(self, name: str) -> list[dict[str, Any]]:
        return self.get(f"mailFolders/{name}/messages")["value"]

    def only(self, name: str) -> dict[str, Any]:
        [message] = self.folder(name)
        return message

    def attachments(self, message_id: str) -> list[dict[str, Any]]:
        return self.get(f"messages/{urllib.parse.quote(message_id)}/attachments")["value"]

    def attachment_value(self, message_id: str, attachment_id: str) -> bytes:
        return self.get(f"messages/{urllib.parse.quote(message_id)}/attachments/"
                        f"{urllib.parse.quote(attachment_id)}/$value")


@pytest.fixture
def users(server: ServerProcess) -> ServerProcess:
    server.cli("user", "add", CAROL, "--name", "Carol Diaz")
    return server


@pytest.fixture
def graph(users: ServerProcess) -> Iterator[Any]:
    with httpx.Client(base_url=users.base_url, timeout=60.0) as client:
        yield lambda upn: Graph(client, users.token(upn))


def test_o365_sends_replies_to_and_forwards_a_message_with_an_attachment(users: ServerProcess, graph: Any,
                                                                         tmp_path: Path) -> None:
    notes = tmp_path / "minutes.txt"
    notes.write_bytes(NOTE)
    alice = o365_account(users, ALICE).mailbox()
    message = alice.new_message()
    message.to.add(BOB)
    message.subject = "Kickoff minutes"
    message.body = "<p>Minutes <b>attached</b>.</p>"
    message.attachments.add([notes])
    assert message.send() is True

    bob_graph = graph(BOB)
    received = bob_graph.only("inbox")
    assert received["subject"] == "Kickoff minutes" and received["hasAttachments"] is True
    assert received["from"]["emailAddress"]["address"] == ALICE
    assert received["body"]["contentType"] == "html" and "<b>attached</b>" in received["body"]["content"]
    [attached] = bob_graph.attachments(received["id"])
    assert attached["@odata.type"] == "#microsoft.graph.fileAttachment"
    assert (attached["name"], attached["size"]) == ("minutes.txt", len(NOTE))
    assert base64.b64decode(attached["contentBytes"]) == NOTE
    assert [s["subject"] for s in graph(ALICE).folder("sentitems")] == ["Kickoff minutes"]

    # Bob reads it through O365 and replies (O365's reply() is createReplyAll, then PATCH + send).
    bob = o365_account(users, BOB).mailbox()
    [inbound] = list(bob.inbox_folder().get_messages())
    assert isinstance(inbound, Message)
    assert inbound.subject == "Kickoff minutes" and inbound.has_attachments is True
    assert inbound.sender.address == ALICE
    reply = inbound.reply()
    assert reply is not None and reply.is_draft
    assert reply.subject == "RE: Kickoff minutes"
    assert [r.address for r in reply.to] == [ALICE]
    reply.body = "<p>Thanks, looks complete.</p>"
    assert reply.send() is True

    alice_graph = graph(ALICE)
    answer = alice_graph.only("inbox")
    assert answer["subject"] == "RE: Kickoff minutes"
    assert answer["from"]["emailAddress"]["address"] == BOB
    assert answer["conversationId"] == received["conversationId"]
    assert "Thanks, looks complete." in answer["body"]["content"]
    assert answer["hasAttachments"] is False

    # ... and forwards it to carol, who gets the attachment.
    forward = inbound.forward()
    assert forward is not None and forward.subject == "FW: Kickoff minutes"
    forward.to.add(CAROL)
    forward.body = "<p>Carol, for your records.</p>"
    assert forward.send() is True

    carol_graph = graph(CAROL)
    forwarded = carol_graph.only("inbox")
    assert forwarded["subject"] == "FW: Kickoff minutes"
    assert forwarded["from"]["emailAddress"]["address"] == BOB
    assert "Carol, for your records." in forwarded["body"]["content"]
    assert forwarded["hasAttachments"] is True
    [carried] = carol_graph.attachments(forwarded["id"])
    assert carried["name"] == "minutes.txt" and base64.b64decode(carried["contentBytes"]) == NOTE
    assert sorted(s["subject"] for s in bob_graph.folder("sentitems")) == ["FW: Kickoff minutes",
                                                                         "RE: Kickoff minutes"]
    assert bob_graph.folder("drafts") == []

    # Carol reads the forward with O365 and downloads its attachment.
    carol = o365_account(users, CAROL).mailbox()
    [fw] = list(carol.inbox_folder().get_messages())
    assert fw.attachments.download_attachments() is True
    [downloaded] = list(fw.attachments)
    assert downloaded.name == "minutes.txt" and base64.b64decode(downloaded.content) == NOTE


def big_file(path: Path) -> bytes:
    block = hashlib.sha256(b"o365").digest() * 1024  # 32 KiB
    data = b"".join(bytes([i % 241]) + block[1:] for i in range(BIG // len(block)))
    path.write_bytes(data)
    return data


def test_o365_uploads_a_file_over_3_mb_through_an_upload_session(users: ServerProcess, graph: Any,
                                                                  tmp_path: Path) -> None:
    data = big_file(tmp_path / "drawings.pdf")
    assert len(data) == BIG
    alice = o365_account(users, ALICE).mailbox()
    message = alice.new_message()
    message.to.add(BOB)
    message.subject = "Drawings"
    message.body = "The drawings, as promised."
    # O365 uploads attachments over 3 MB only to a saved draft: save it, attach, send.
    assert message.save_draft() is True
    message.attachments.add([tmp_path / "drawings.pdf"])
    log_mark = users.log_mark()
    assert message.send() is True
    assert users.wait_for_output(r"POST /v1\.0/me/messages/\S+/attachments/createUploadSession 201", since=log_mark)
    assert users.wait_for_output(r"PUT /upload/\S+ 201", since=log_mark)

    alice_graph = graph(ALICE)
    assert alice_graph.folder("drafts") == []
    [sent] = alice_graph.folder("sentitems")
    [sent_attachment] = alice_graph.attachments(sent["id"])
    assert (sent_attachment["name"], sent_attachment["size"]) == ("drawings.pdf", BIG)

    bob_graph = graph(BOB)
    received = bob_graph.only("inbox")
    assert received["subject"] == "Drawings" and received["hasAttachments"] is True
    [attachment] = bob_graph.attachments(received["id"])
    assert (attachment["name"], attachment["size"]) == ("drawings.pdf", BIG)
    assert bob_graph.attachment_value(received["id"], attachment["id"]) == data


def test_o365_sending_a_file_over_3_mb_without_a_draft_is_refused_as_too_large(users: ServerProcess, graph: Any,
                                                                               tmp_path: Path) -> None:
    """Without a saved draft O365 puts every attachment inline into `sendMail`; 3.5 MB in base64 is
    over Graph's 4 MB request limit, so Graph (and graphpost) refuse the request and nothing is sent."""
    big_file(tmp_path / "drawings.pdf")
    message = o365_account(users, ALICE).mailbox().new_message()
    message.to.add(BOB)
    message.subject = "Drawings inline"
    message.attachments.add([tmp_path / "drawings.pdf"])
    with pytest.raises(requests.HTTPError) as refused:
        message.send()
    assert refused.value.response.status_code == 413
    assert "Maximum request length exceeded." in str(refused.value)
    assert graph(BOB).folder("inbox") == [] and graph(ALICE).folder("sentitems") == []
