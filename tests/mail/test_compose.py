import base64
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from graphpost.mail import ids
from graphpost.mail.compose import (
    ThreadLinks,
    child_conversation_index,
    link_to_thread,
    prefixed_subject,
    quoted_body,
    reply_all_recipients,
    reply_draft_fields,
    reply_recipients,
    thread_links,
    threading_headers,
)
from graphpost.store.directory import UserRow
from graphpost.store.mailbox import MessageRow

SENT = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)  # a Tuesday
ME = UserRow("u1", "t1", "me@contoso.com", "Me@Contoso.com", "Megan Bowen")


def _r(address: str, name: str | None = None) -> dict[str, Any]:
    return {"emailAddress": {"name": name or address, "address": address}}


def _original(**data: Any) -> MessageRow:
    fields: dict[str, Any] = {
        "body": {"contentType": "text", "content": "Numbers attached."},
        "from": _r("alice@example.com", "Alice Adams"), "sender": _r("alice@example.com", "Alice Adams"),
        "toRecipients": [_r("me@contoso.com", "Megan Bowen"), _r("bob@example.org", "Bob Brown")],
        "ccRecipients": [_r("carol@example.net", "Carol")], "bccRecipients": [], "replyTo": [],
        "conversationIndex": ids.conversation_index(SENT),
    }
    fields.update(data)
    return MessageRow(
        id=ids.new_message_id(), user_id="u1", folder_id="inbox", change_key="ck", created_at=SENT,
        modified_at=SENT, received_at=SENT + timedelta(seconds=5), sent_at=SENT, subject="Quarterly numbers",
        is_read=False, is_draft=False, importance="normal", has_attachments=False,
        internet_message_id="<orig.1@example.com>", conversation_id="AAQkconv", from_address="alice@example.com",
        data=fields)


def _addresses(recipients: list[dict[str, Any]]) -> list[str]:
    return [item["emailAddress"]["address"] for item in recipients]


# --- recipients ---

def test_reply_goes_to_the_author() -> None:
    assert reply_recipients(_original(), "me@contoso.com") == [_r("alice@example.com", "Alice Adams")]


def test_reply_goes_to_reply_to_instead_of_the_author() -> None:
    original = _original(replyTo=[_r("list@example.com", "List"), _r("owner@example.com")])
    assert _addresses(reply_recipients(original, "me@contoso.com")) == ["list@example.com", "owner@example.com"]


def test_reply_uses_the_sender_when_there_is_no_from() -> None:
    original = _original(**{"from": None, "sender": _r("bot@example.com", "Bot")})
    assert reply_recipients(original, "me@contoso.com") == [_r("bot@example.com", "Bot")]


def test_reply_to_my_own_message_goes_to_me_as_exchange_does() -> None:
    original = _original(**{"from": _r("ME@contoso.com", "Megan Bowen"), "sender": None})
    assert reply_recipients(original, "me@contoso.com") == [_r("ME@contoso.com", "Megan Bowen")]


def test_reply_to_without_me_drops_me() -> None:
    original = _original(replyTo=[_r("Me@Contoso.com"), _r("list@example.com")])
    assert _addresses(reply_recipients(original, "me@contoso.com")) == ["list@example.com"]


def test_reply_all_is_the_author_and_every_recipient_but_me() -> None:
    to, cc = reply_all_recipients(_original(), "ME@CONTOSO.COM")
    assert (_addresses(to), _addresses(cc)) == (["alice@example.com", "bob@example.org"], ["carol@example.net"])


def test_reply_all_lists_each_address_once_whatever_its_case() -> None:
    original = _original(
        toRecipients=[_r("Bob@Example.org", "Bob"), _r("ALICE@example.com"), _r("bob@example.org")],
        ccRecipients=[_r("carol@example.net"), _r("Carol@Example.NET"), _r("BOB@example.org"), _r("me@contoso.com")])
    to, cc = reply_all_recipients(original, "me@contoso.com")
    assert (_addresses(to), _addresses(cc)) == (["alice@example.com", "Bob@Example.org"], ["carol@example.net"])
    assert to[0] == _r("alice@example.com", "Alice Adams")  # the first spelling, name and all, is kept


def test_reply_all_with_reply_to_replaces_the_author_only() -> None:
    to, cc = reply_all_recipients(_original(replyTo=[_r("list@example.com")]), "me@contoso.com")
    assert (_addresses(to), _addresses(cc)) == (["list@example.com", "bob@example.org"], ["carol@example.net"])


def test_reply_all_skips_recipients_without_an_address() -> None:
    original = _original(toRecipients=[{"emailAddress": {"name": "Nobody", "address": ""}}], ccRecipients=[])
    to, cc = reply_all_recipients(original, "me@contoso.com")
    assert (_addresses(to), cc) == (["alice@example.com"], [])


# --- subjects ---

@pytest.mark.parametrize(("subject", "prefix", "expected"), [
    ("Quarterly numbers", "RE", "RE: Quarterly numbers"),
    ("RE: Quarterly numbers", "RE", "RE: Quarterly numbers"),
    ("Re: Quarterly numbers", "RE", "RE: Quarterly numbers"),
    ("re:Quarterly numbers", "RE", "RE: Quarterly numbers"),
    ("FW: Quarterly numbers", "RE", "RE: FW: Quarterly numbers"),
    ("Quarterly numbers", "FW", "FW: Quarterly numbers"),
    ("FW: Quarterly numbers", "FW", "FW: Quarterly numbers"),
    ("Fwd: Quarterly numbers", "FW", "FW: Quarterly numbers"),
    ("fw: Quarterly numbers", "FW", "FW: Quarterly numbers"),
    ("RE: Quarterly numbers", "FW", "FW: RE: Quarterly numbers"),
    ("", "RE", "RE: "),
])
def test_prefix_is_written_once(subject: str, prefix: Any, expected: str) -> None:
    assert prefixed_subject(subject, prefix) == expected


def test_replying_to_a_reply_does_not_double_the_prefix() -> None:
    once = prefixed_subject("Quarterly numbers", "RE")
    assert prefixed_subject(once, "RE") == once == "RE: Quarterly numbers"


# --- quoting ---

def test_text_original_is_quoted_in_text_under_the_header_block() -> None:
    body = quoted_body(_original(), "Thanks, see below.")
    assert body == {"contentType": "text", "content": (
        "Thanks, see below.\r\n\r\n"
        "________________________________\r\n"
        "From: Alice Adams <alice@example.com>\r\n"
        "Sent: Tuesday, November 24, 2026 9:00 AM\r\n"
        "To: Megan Bowen; Bob Brown\r\n"
        "Cc: Carol\r\n"
        "Subject: Quarterly numbers\r\n"
        "\r\n"
        "Numbers attached.")}


def test_text_quote_without_comment_starts_at_the_rule_and_leaves_out_an_empty_cc() -> None:
    content = quoted_body(_original(ccRecipients=[]), None)["content"]
    assert content.startswith("________________________________\r\nFrom: ")
    assert "Cc:" not in content


def test_sent_is_written_in_utc_with_a_twelve_hour_clock() -> None:
    original = _original()
    original.sent_at = datetime(2026, 3, 1, 23, 5, tzinfo=timezone(timedelta(hours=2)))
    assert "Sent: Sunday, March 1, 2026 9:05 PM\r\n" in quoted_body(original, None)["content"]


def test_html_original_is_quoted_in_html_with_the_comment_above() -> None:
    original = _original(body={"contentType": "html", "content": (
        '<html><head><style>p{margin:0}</style></head><body dir="ltr"><p>Numbers <b>attached</b>.</p></body></html>')})
    body = quoted_body(original, "Thanks,\nMegan")
    content = body["content"]
    assert body["contentType"] == "html"
    assert content.startswith("<html><head>") and content.endswith("</body></html>")
    assert content.count("<body") == 1 and "<style>" not in content  # only the original's <body> is kept
    positions = [content.index(part) for part in ("Thanks,<br>Megan", "<hr", 'id="divRplyFwdMsg"',
                                                  "<p>Numbers <b>attached</b>.</p>")]
    assert positions == sorted(positions)  # comment, rule, header block, original
    assert ("<b>From:</b> Alice Adams &lt;alice@example.com&gt;<br>\r\n"
            "<b>Sent:</b> Tuesday, November 24, 2026 9:00 AM<br>\r\n"
            "<b>To:</b> Megan Bowen; Bob Brown<br>\r\n"
            "<b>Cc:</b> Carol<br>\r\n"
            "<b>Subject:</b> Quarterly numbers</font>") in content


def test_html_without_a_body_element_is_quoted_whole() -> None:
    original = _original(body={"contentType": "html", "content": "<p>Just a fragment</p>"})
    assert "<div><p>Just a fragment</p></div>" in quoted_body(original, None)["content"]


def test_everything_inserted_into_html_is_escaped() -> None:
    original = _original(
        body={"contentType": "html", "content": "<p>hi</p>"},
        **{"from": _r("eve@example.com", '<script>alert("name")</script>')},
        toRecipients=[_r("bob@example.org", "Bob <img src=x onerror=alert(1)>")])
    original.subject = "Fish & <chips>"
    content = quoted_body(original, "<script>alert('comment')</script>")["content"]
    assert "<script>" not in content and "<img" not in content
    assert "&lt;script&gt;alert(&#x27;comment&#x27;)&lt;/script&gt;" in content
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt; &lt;eve@example.com&gt;" in content
    assert "Bob &lt;img src=x onerror=alert(1)&gt;" in content
    assert "<b>Subject:</b> Fish &amp; &lt;chips&gt;" in content


# --- thread ---

def test_reply_index_is_the_parents_index_and_one_five_byte_level() -> None:
    parent = ids.conversation_index(SENT)
    child = base64.b64decode(child_conversation_index(parent, SENT, SENT + timedelta(hours=1)))
    assert len(base64.b64decode(parent)) == 22 and len(child) == 27
    assert child[:22] == base64.b64decode(parent)


def test_each_reply_level_grows_the_index_again() -> None:
    first = child_conversation_index(ids.conversation_index(SENT), SENT, SENT + timedelta(minutes=5))
    second = child_conversation_index(first, SENT, SENT + timedelta(minutes=9))
    assert len(base64.b64decode(second)) == 32
    assert base64.b64decode(second)[:27] == base64.b64decode(first)


def test_level_holds_the_time_since_the_header_in_filetime_units() -> None:
    parent = ids.conversation_index(SENT)
    header_time = int.from_bytes(base64.b64decode(parent)[1:6], "big") << 24
    at = SENT + timedelta(hours=1)
    level = int.from_bytes(base64.b64decode(child_conversation_index(parent, SENT, at))[22:26], "big")
    assert level >> 31 == 0  # under ~1.78 years: the fine-grained delta code
    recovered = header_time + ((level & 0x7FFFFFFF) << 18)
    at_filetime = int(at.timestamp() * 10_000_000) + 116444736000000000
    assert at_filetime - (1 << 18) < recovered <= at_filetime


def test_level_switches_to_the_coarse_code_after_two_years() -> None:
    parent = ids.conversation_index(SENT)
    level = base64.b64decode(child_conversation_index(parent, SENT, SENT + timedelta(days=800)))[22]
    assert level >> 7 == 1


def test_parent_without_an_index_gets_a_header_first() -> None:
    child = base64.b64decode(child_conversation_index("", SENT, SENT + timedelta(minutes=1)))
    assert len(child) == 27 and child[0] == 1


def test_threading_headers_follow_rfc_5322() -> None:
    assert threading_headers("<b@x>", ["<root@x>", "<a@x>"]) == ("<b@x>", ("<root@x>", "<a@x>", "<b@x>"))
    assert threading_headers("<a@x>", []) == ("<a@x>", ("<a@x>",))
    assert threading_headers("<b@x>", [], "<a@x>") == ("<b@x>", ("<a@x>", "<b@x>"))
    assert threading_headers("<b@x>", ["<a@x>", "<b@x>"]) == ("<b@x>", ("<a@x>", "<b@x>"))


def test_thread_links_keep_the_conversation_and_grow_the_index() -> None:
    original = _original(references=["<root@example.com>"], inReplyTo="<root@example.com>")
    links = thread_links(original, SENT + timedelta(minutes=3))
    assert isinstance(links, ThreadLinks)
    assert links.conversation_id == "AAQkconv"
    assert base64.b64decode(links.conversation_index)[:22] == base64.b64decode(original.data["conversationIndex"])
    assert len(base64.b64decode(links.conversation_index)) == 27
    assert (links.in_reply_to, links.references) == ("<orig.1@example.com>",
                                                     ("<root@example.com>", "<orig.1@example.com>"))


def test_link_to_thread_stamps_the_draft_where_mime_and_later_replies_read() -> None:
    original, draft = _original(), _original()
    draft.conversation_id = "AAQkother"
    links = thread_links(original, SENT + timedelta(minutes=3))
    link_to_thread(draft, links)
    assert draft.conversation_id == "AAQkconv"
    assert draft.data["conversationIndex"] == links.conversation_index
    assert (draft.data["inReplyTo"], draft.data["references"]) == ("<orig.1@example.com>", ["<orig.1@example.com>"])
    draft.internet_message_id = "<reply.2@contoso.com>"
    answer = thread_links(draft, SENT + timedelta(minutes=9))  # a reply to the reply, once sent
    assert answer.references == ("<orig.1@example.com>", "<reply.2@contoso.com>")
    assert len(base64.b64decode(answer.conversation_index)) == 32


# --- drafts ---

def test_reply_draft_fields() -> None:
    fields = reply_draft_fields(_original(), ME, "reply", "Thanks")
    assert fields["subject"] == "RE: Quarterly numbers"
    assert (_addresses(fields["toRecipients"]), fields["ccRecipients"]) == (["alice@example.com"], [])
    assert fields["body"]["content"].startswith("Thanks\r\n\r\n____")


def test_reply_all_draft_fields() -> None:
    fields = reply_draft_fields(_original(), ME, "replyAll", None)
    assert fields["subject"] == "RE: Quarterly numbers"
    assert _addresses(fields["toRecipients"]) == ["alice@example.com", "bob@example.org"]
    assert _addresses(fields["ccRecipients"]) == ["carol@example.net"]


def test_forward_draft_has_no_recipients() -> None:
    fields = reply_draft_fields(_original(), ME, "forward", "FYI")
    assert fields["subject"] == "FW: Quarterly numbers"
    assert (fields["toRecipients"], fields["ccRecipients"]) == ([], [])
    assert "From: Alice Adams <alice@example.com>" in fields["body"]["content"]
