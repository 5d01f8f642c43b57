"""Heavy requests do their CPU work off the event loop: while one renders or parses a large
message, another user's light request is answered (issue 13: `$value` of a 50,000-recipient draft
held every request for 16-29 s). See tests/api/loop_order.py for how the order is made certain."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import httpx
import pytest

from graphpost.api.routes import attachments as attachment_routes
from graphpost.api.routes import batch
from graphpost.mail import content, messages, mime
from tests.api.loop_order import HeldStep, finishing_order
from tests.api.mail_helpers import ALICE, BOB, Mailbox, content_of, file_attachment, recipients

MANY = [f"reader{n}@example.com" for n in range(500)]
# More than one validation slice (graphpost.mail.model.RECIPIENT_SLICE).
MORE = [f"reader{n}@example.com" for n in range(1200)]
# Past the size from which encoding is done in a thread, within the 3 MB of an inline attachment.
LARGE = bytes(range(256)) * 6000


async def get_me(mailbox: Mailbox) -> None:
    response = await mailbox.client.get("/v1.0/me", headers=mailbox.headers)
    assert response.status_code == 200 and response.json()["userPrincipalName"] == BOB


async def test_another_user_is_answered_while_a_large_message_mime_is_rendered(
        alice: Mailbox, bob: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    draft = await alice.create_draft(subject="All hands", toRecipients=recipients(*MANY))
    step = HeldStep(monkeypatch, mime, "render")
    rendered: list[httpx.Response] = []

    async def heavy() -> None:
        rendered.append(await alice.get(f"messages/{draft['id']}/$value"))

    assert await finishing_order(step, heavy, lambda: get_me(bob)) == ["light", "heavy"]
    assert step.released_by_answer == [True]
    [response] = rendered
    assert response.status_code == 200 and response.text.count("@example.com") == len(MANY)


async def test_another_user_is_answered_while_a_base64_mime_send_mail_is_parsed(
        alice: Mailbox, bob: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    message = EmailMessage()
    message["From"] = ALICE
    message["To"] = ", ".join(MANY)
    message["Subject"] = "All hands"
    message.set_content("Friday at four.")
    step = HeldStep(monkeypatch, mime, "parse")
    answers: list[httpx.Response] = []

    async def heavy() -> None:
        answers.append(await alice.post("sendMail", content=base64.b64encode(bytes(message)),
                                        headers={"Content-Type": "text/plain"}))

    assert await finishing_order(step, heavy, lambda: get_me(bob)) == ["light", "heavy"]
    assert step.released_by_answer == [True]
    assert [answer.status_code for answer in answers] == [202]
    [sent] = await alice.messages_in("sentitems")
    assert sent["subject"] == "All hands" and len(sent["toRecipients"]) == len(MANY)


async def test_another_user_is_answered_while_a_large_attachment_is_encoded(
        alice: Mailbox, bob: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    draft = await alice.create_draft(subject="Scan", attachments=[file_attachment("scan.bin", LARGE)])
    [attached] = await alice.attachments(draft["id"])
    step = HeldStep(monkeypatch, attachment_routes, "attachment_resource")
    answers: list[httpx.Response] = []

    async def heavy() -> None:
        answers.append(await alice.get(f"messages/{draft['id']}/attachments/{attached['id']}"))

    assert await finishing_order(step, heavy, lambda: get_me(bob)) == ["light", "heavy"]
    assert step.released_by_answer == [True]
    [answer] = answers
    assert answer.status_code == 200 and content_of(answer.json()) == LARGE


async def test_another_user_is_answered_while_a_batch_embeds_a_large_answer(
        alice: Mailbox, bob: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    draft = await alice.create_draft(subject="Scan", attachments=[file_attachment("scan.bin", LARGE)])
    step = HeldStep(monkeypatch, batch, "_answer")
    answers: list[httpx.Response] = []

    async def heavy() -> None:
        answers.append(await alice.client.post("/v1.0/$batch", headers=alice.headers, json={"requests": [
            {"id": "1", "method": "GET", "url": f"/me/messages/{draft['id']}/$value"}]}))

    assert await finishing_order(step, heavy, lambda: get_me(bob)) == ["light", "heavy"]
    assert step.released_by_answer == [True]
    [answer] = answers
    [embedded] = answer.json()["responses"]
    assert embedded["status"] == 200 and base64.b64decode(embedded["body"]).count(b"Subject: Scan") == 1


async def test_another_user_is_answered_while_a_draft_with_many_recipients_is_validated(
        alice: Mailbox, bob: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    step = HeldStep(monkeypatch, content, "parse_message")
    created: list[httpx.Response] = []

    async def heavy() -> None:
        created.append(await alice.post("messages", json={"subject": "Town hall", "toRecipients": recipients(*MORE)}))

    assert await finishing_order(step, heavy, lambda: get_me(bob)) == ["light", "heavy"]
    assert step.released_by_answer == [True]
    [answer] = created
    assert answer.status_code == 201 and len(answer.json()["toRecipients"]) == len(MORE)


async def test_another_user_is_answered_while_a_draft_update_with_many_recipients_is_validated(
        alice: Mailbox, bob: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    draft = await alice.create_draft(subject="Town hall")
    step = HeldStep(monkeypatch, messages, "parse_message")
    updated: list[httpx.Response] = []

    async def heavy() -> None:
        updated.append(await alice.patch(f"messages/{draft['id']}", json={"ccRecipients": recipients(*MORE)}))

    assert await finishing_order(step, heavy, lambda: get_me(bob)) == ["light", "heavy"]
    assert step.released_by_answer == [True]
    [answer] = updated
    assert answer.status_code == 200 and len(answer.json()["ccRecipients"]) == len(MORE)
