"""U+0000 (NUL) answered alike on SQLite and PostgreSQL (whose text and jsonb refuse it): refused
with a 400 in JSON bodies and query options before anything is written, dropped from MIME, and no
user found by a name that holds one (graphpost/mail/nul.py)."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from graphpost.mail import receive
from graphpost.store.database import Database
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import ALICE, Mailbox, as_application, file_attachment, recipients
from tests.tokens import TokenMint

NUL_TEXT = "before\u0000after"


def message_with(**properties: Any) -> dict[str, Any]:
    return {"subject": "Plain", "toRecipients": recipients(ALICE), **properties}


BODIES: list[dict[str, Any]] = [
    message_with(subject=NUL_TEXT),
    message_with(body={"contentType": "text", "content": NUL_TEXT}),
    message_with(body={"contentType": "html", "content": f"<p>{NUL_TEXT}</p>"}),
    message_with(toRecipients=[{"emailAddress": {"name": NUL_TEXT, "address": ALICE}}]),
    message_with(ccRecipients=[{"emailAddress": {"address": "bob\u0000@contoso.test"}}]),
    message_with(categories=["Red", NUL_TEXT]),
    message_with(internetMessageHeaders=[{"name": "X-Note", "value": NUL_TEXT}]),
    message_with(attachments=[file_attachment(NUL_TEXT, b"data")]),
    message_with(attachments=[file_attachment("a.txt", b"data", "text/plain\u0000")]),
    {"subject\u0000": "a NUL in a key"},
]


async def everything(alice: Mailbox) -> dict[str, int]:
    """How many messages each folder holds, and how many folders there are."""
    folders = (await alice.get("mailFolders", params={"$top": "100", "includeHiddenFolders": "true"})).json()["value"]
    counts = {folder["displayName"]: folder["totalItemCount"] for folder in folders}
    return {**counts, "folders": len(folders)}


@pytest.mark.parametrize("message", BODIES, ids=range(len(BODIES)))
async def test_a_nul_in_a_message_is_refused_before_anything_is_written(alice: Mailbox,
                                                                         message: dict[str, Any]) -> None:
    before = await everything(alice)
    assert_graph_error(await alice.post("messages", json=message), 400, "ErrorInvalidRequest")
    assert_graph_error(await alice.send_mail(message), 400, "ErrorInvalidRequest")
    assert await everything(alice) == before


async def test_a_nul_in_an_update_an_attachment_or_a_folder_is_refused(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Draft")
    folder = (await alice.post("mailFolders", json={"displayName": "Projects"})).json()
    before = await everything(alice)
    for method, tail, body in [
        ("patch", f"messages/{draft['id']}", {"subject": NUL_TEXT}),
        ("patch", f"messages/{draft['id']}", {"categories": [NUL_TEXT]}),
        ("post", f"messages/{draft['id']}/attachments", file_attachment(NUL_TEXT, b"data")),
        ("post", f"messages/{draft['id']}/reply", {"comment": NUL_TEXT}),
        ("post", "mailFolders", {"displayName": NUL_TEXT}),
        ("post", f"mailFolders/{folder['id']}/childFolders", {"displayName": NUL_TEXT}),
        ("patch", f"mailFolders/{folder['id']}", {"displayName": NUL_TEXT}),
    ]:
        response = await getattr(alice, method)(tail, json=body)
        assert_graph_error(response, 400, "ErrorInvalidRequest")
    assert await everything(alice) == before
    assert (await alice.message(draft["id"]))["subject"] == "Draft"
    assert await alice.attachments(draft["id"]) == []


async def test_an_escaped_backslash_before_u0000_is_no_nul(alice: Mailbox) -> None:
    response = await alice.post("messages", json=message_with(subject="C:\\u0000"))
    assert response.status_code == 201, response.text
    assert response.json()["subject"] == "C:\\u0000"


@pytest.mark.parametrize(("tail", "params"), [
    ("messages", {"$filter": f"subject eq '{NUL_TEXT}'"}),
    ("messages", {"$filter": f"contains(subject,'{NUL_TEXT}')"}),
    ("messages", {"$filter": f"categories/any(c:c eq '{NUL_TEXT}')"}),
    ("messages", {"$filter": f"from/emailAddress/address eq '{NUL_TEXT}'"}),
    ("messages", {"$filter": f"id eq '{NUL_TEXT}'"}),
    ("messages", {"$search": NUL_TEXT}),
    ("messages", {"$search": f"subject:{NUL_TEXT}"}),
    ("messages", {"$search": f"category:{NUL_TEXT}"}),
    ("messages", {"$search": f"attachment:{NUL_TEXT}"}),
    ("messages", {"$orderby": "subject\u0000"}),
    ("messages", {"$select": "subject\u0000"}),
    ("mailFolders", {"$filter": f"displayName eq '{NUL_TEXT}'"}),
    ("mailFolders/inbox/messages", {"$search": NUL_TEXT}),
], ids=lambda value: value if isinstance(value, str) else "-".join(value))
async def test_a_nul_in_a_query_option_is_refused(alice: Mailbox, tail: str, params: dict[str, str]) -> None:
    error = assert_graph_error(await alice.get(tail, params=params), 400, "ErrorInvalidRequest")
    assert error["message"] == f"The query option '{next(iter(params))}' contains an invalid character (U+0000)."


async def test_no_user_is_found_by_a_name_with_a_nul(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    app = await as_application(client, tokens, ALICE)
    for path, status, code in [("/v1.0/users/alice%00@contoso.test", 404, "Request_ResourceNotFound"),
                               ("/v1.0/users/alice%00@contoso.test/messages", 404, "ErrorInvalidUser"),
                               ("/v1.0/users/a%00b/mailFolders", 404, "ErrorInvalidUser")]:
        response = await client.get(path, headers=app.headers)
        assert_graph_error(response, status, code)


MIME_WITH_NULS = (
    b"From: alice@contoso.test\r\nTo: alice@contoso.test\r\nSubject: =?utf-8?q?Mime=00Subject?=\r\n"
    b"Message-ID: <nul\x00id@contoso.test>\r\nX-Note: =?utf-8?q?a=00b?=\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=BB\r\n\r\n"
    b"--BB\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + base64.b64encode(b"body\x00text") + b"\r\n"
    b"--BB\r\nContent-Type: application/octet-stream\r\nContent-ID: <part\x00one>\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''file%00name.txt\r\n\r\nbytes\x00kept\r\n--BB--\r\n")


async def test_a_nul_in_mime_is_dropped_on_both_backends(alice: Mailbox) -> None:
    created = await alice.post_mime("messages", MIME_WITH_NULS)
    assert created.status_code == 201, created.text
    message = await alice.get(f"messages/{created.json()['id']}", params={"$select": "subject,body,internetMessageId,"
                                                                                      "internetMessageHeaders"})
    assert message.status_code == 200, message.text
    draft = message.json()
    assert draft["subject"] == "MimeSubject"
    assert draft["body"]["content"] == "bodytext"
    assert draft["internetMessageId"] == "<nulid@contoso.test>"
    assert {"name": "X-Note", "value": "ab"} in draft["internetMessageHeaders"]
    [attachment] = await alice.attachments(draft["id"])
    assert attachment["name"] == "filename.txt"
    assert base64.b64decode(attachment["contentBytes"]) == b"bytes\x00kept"  # content is bytes: kept whole

    sent = await alice.post_mime("sendMail", MIME_WITH_NULS)
    assert sent.status_code == 202, sent.text
    received = await alice.only_message_in("inbox")
    assert received["subject"] == "MimeSubject"
    assert received["body"]["content"] == "bodytext"


async def test_a_nul_in_received_mail_is_dropped_on_both_backends(alice: Mailbox, db: Database) -> None:
    # What the inbound SMTP listener hands over once it has accepted a message.
    # From an outside sender: anonymous mail claiming an accepted domain is refused (SendAsDenied).
    external = MIME_WITH_NULS.replace(b"From: alice@contoso.test", b"From: zoe@example.com", 1)
    assert await receive.deliver(db, external, [ALICE]) == 1
    received = await alice.only_message_in("inbox")
    assert received["subject"] == "MimeSubject"
    assert received["body"]["content"] == "bodytext"
    assert received["internetMessageId"] == "<nulid@contoso.test>"
    [attachment] = await alice.attachments(received["id"])
    assert attachment["name"] == "filename.txt"
