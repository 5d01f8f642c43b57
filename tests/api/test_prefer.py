"""`Prefer: outlook.body-content-type="text"|"html"`: the body in the format asked for, with
`Preference-Applied` in the answer, on every route that returns messages."""

from __future__ import annotations

from tests.api.mail_helpers import BOB, Mailbox, recipients

TEXT = {"Prefer": 'outlook.body-content-type="text"'}
HTML = {"Prefer": 'outlook.body-content-type="html"'}
HTML_BODY = {"contentType": "HTML",
             "content": "<html><head><style>p{color:red}</style></head><body><p>Hello <b>Bob</b>,</p>"
                        "<p>the numbers &amp; the plan.</p></body></html>"}


async def test_html_body_comes_back_as_text_when_text_is_preferred(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Numbers", body=HTML_BODY)
    response = await alice.get(f"messages/{draft['id']}", headers=TEXT)
    assert response.status_code == 200, response.text
    assert response.headers["Preference-Applied"] == 'outlook.body-content-type="text"'
    body = response.json()["body"]
    assert body["contentType"] == "text"
    assert "<" not in body["content"] and "color:red" not in body["content"]
    assert " ".join(body["content"].split()) == "Hello Bob, the numbers & the plan."
    # The stored message is unchanged: without the header it is HTML again.
    plain = await alice.get(f"messages/{draft['id']}")
    assert plain.json()["body"] == {"contentType": "html", "content": HTML_BODY["content"]}
    assert "Preference-Applied" not in plain.headers


async def test_text_body_comes_back_as_html_when_html_is_preferred(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Plain", body={"contentType": "text", "content": "a < b\nsecond line"})
    response = await alice.get(f"messages/{draft['id']}", headers=HTML)
    assert response.headers["Preference-Applied"] == 'outlook.body-content-type="html"'
    body = response.json()["body"]
    assert body["contentType"] == "html"
    assert "a &lt; b<br>" in body["content"] and "second line" in body["content"]


async def test_a_body_already_in_the_preferred_format_is_unchanged(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Same", body={"contentType": "text", "content": "just text"})
    response = await alice.get(f"messages/{draft['id']}", headers=TEXT)
    assert response.json()["body"] == {"contentType": "text", "content": "just text"}
    assert response.headers["Preference-Applied"] == 'outlook.body-content-type="text"'


async def test_lists_and_created_messages_honour_the_preference(alice: Mailbox, bob: Mailbox) -> None:
    created = await alice.post("messages", json={"subject": "Created", "body": HTML_BODY}, headers=TEXT)
    assert created.status_code == 201
    assert created.json()["body"]["contentType"] == "text"
    assert created.headers["Preference-Applied"] == 'outlook.body-content-type="text"'
    assert (await alice.send_mail({"subject": "Inbound", "body": HTML_BODY,
                                   "toRecipients": recipients(BOB)})).status_code == 202
    listed = await bob.get("mailFolders/inbox/messages", headers=TEXT)
    assert listed.headers["Preference-Applied"] == 'outlook.body-content-type="text"'
    [message] = listed.json()["value"]
    assert message["body"]["contentType"] == "text" and "Hello Bob" in message["body"]["content"]


async def test_preferences_combine_and_unknown_ones_are_ignored(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Both", body=HTML_BODY)
    response = await alice.get(f"messages/{draft['id']}", headers={
        "Prefer": 'IdType="ImmutableId", outlook.body-content-type="text", odata.maxpagesize=5, respond-async'})
    assert response.status_code == 200, response.text
    assert response.json()["id"].startswith("AAkALg")
    assert response.json()["body"]["contentType"] == "text"
    bogus = await alice.get(f"messages/{draft['id']}", headers={"Prefer": 'outlook.body-content-type="pdf"'})
    assert bogus.status_code == 200 and bogus.json()["body"]["contentType"] == "html"
    assert "Preference-Applied" not in bogus.headers
