"""Strategies for the JSON a client posts: messages (plausible values or any JSON, property by
property), attachments, folders, and request bodies that are not JSON objects at all."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.text import address, json_bytes, json_value, nasty_text, nested_json, short_text

email_address = st.fixed_dictionaries({}, optional={"name": st.one_of(nasty_text(), json_value),
                                                    "address": st.one_of(address, json_value)})
recipient = st.one_of(st.fixed_dictionaries({"emailAddress": st.one_of(email_address, json_value)}),
                      st.fixed_dictionaries({}, optional={"emailAddress": email_address, "extra": json_value}),
                      json_value)
recipients = st.one_of(st.lists(recipient, max_size=4), json_value)
enum_word = st.one_of(st.sampled_from(["text", "html", "HTML", "low", "normal", "high", "High", "focused", "other",
                                       "flagged", "complete", "notFlagged", "", "bogus"]), nasty_text(), json_value)
date_time_time_zone = st.one_of(st.fixed_dictionaries({"dateTime": st.one_of(st.sampled_from(
    ["2026-01-01T00:00:00", "2026-13-45T99:99:99", "", "yesterday"]), nasty_text()),
    "timeZone": st.one_of(st.sampled_from(["UTC", "Pacific Standard Time", "Mars/Olympus"]), nasty_text())}),
    json_value)
header = st.one_of(st.fixed_dictionaries({"name": st.one_of(st.sampled_from(
    ["X-Custom", "x-fuzz", "X-", "Subject", "From", "Bcc", "Content-Type", "X-A B", "X-\u00e9", "X-Bad:Colon"]),
    nasty_text()), "value": st.one_of(nasty_text(), json_value)}), json_value)

good_recipients = st.lists(st.fixed_dictionaries({"emailAddress": st.fixed_dictionaries(
    {"address": address}, optional={"name": nasty_text()})}), max_size=3)
good_flag = st.fixed_dictionaries({"flagStatus": st.sampled_from(["flagged", "complete", "notFlagged"])},
                                  optional={"dueDateTime": date_time_time_zone, "startDateTime": date_time_time_zone})
good_header = st.fixed_dictionaries({"name": st.one_of(st.sampled_from(["X-Custom", "x-fuzz"]), nasty_text()),
                                     "value": nasty_text()})
# Well-typed values full of awkward characters: they get past validation, into the store and MIME.
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "subject": nasty_text(),
    "body": st.fixed_dictionaries({"contentType": st.sampled_from(["text", "html", "HTML"]), "content": nasty_text()}),
    "toRecipients": good_recipients, "ccRecipients": good_recipients, "bccRecipients": good_recipients,
    "replyTo": good_recipients,
    "from": st.fixed_dictionaries({"emailAddress": st.fixed_dictionaries({"address": address},
                                                                         optional={"name": nasty_text()})}),
    "importance": st.sampled_from(["low", "normal", "high", "High"]),
    "isRead": st.booleans(), "isReadReceiptRequested": st.booleans(), "isDeliveryReceiptRequested": st.booleans(),
    "categories": st.lists(nasty_text(), max_size=3),
    "flag": good_flag,
    "internetMessageId": st.one_of(st.sampled_from(["<a@b>", "<a@b>\r\nBcc: x@y.z"]),
                                   nasty_text().map(lambda text: f"<{text}@example.com>")),
    "internetMessageHeaders": st.lists(good_header, max_size=3),
}
# Anything at all, property by property: wrong types, nulls, read-only and unknown properties.
WILD: dict[str, st.SearchStrategy[Any]] = {
    "subject": st.one_of(nasty_text(), json_value),
    "body": st.one_of(st.fixed_dictionaries({}, optional={"contentType": enum_word,
                                                          "content": st.one_of(nasty_text(), json_value)}),
                      json_value),
    "toRecipients": recipients, "ccRecipients": recipients, "bccRecipients": recipients, "replyTo": recipients,
    "from": recipient, "sender": recipient,
    "importance": enum_word, "inferenceClassification": enum_word,
    "isRead": st.one_of(st.booleans(), json_value),
    "isDeliveryReceiptRequested": st.one_of(st.booleans(), json_value),
    "isReadReceiptRequested": st.one_of(st.booleans(), json_value),
    "categories": st.one_of(st.lists(nasty_text(), max_size=4), json_value),
    "flag": st.one_of(st.fixed_dictionaries({}, optional={"flagStatus": enum_word, "startDateTime": date_time_time_zone,
                                                          "dueDateTime": date_time_time_zone,
                                                          "completedDateTime": date_time_time_zone}), json_value),
    "internetMessageId": st.one_of(st.sampled_from(["<a@b>", "", "no-brackets"]), nasty_text(), json_value),
    "internetMessageHeaders": st.one_of(st.lists(header, max_size=4), json_value),
    "id": json_value, "isDraft": json_value, "conversationId": json_value, "@odata.type": json_value,
    "attachments": json_value, "uniqueBody": json_value, "bogusProperty": json_value,
}
message = st.one_of(st.fixed_dictionaries({}, optional=PLAUSIBLE), st.fixed_dictionaries({}, optional=PLAUSIBLE),
                    st.fixed_dictionaries({}, optional=WILD))


ATTACHMENT_TYPES = ["#microsoft.graph.fileAttachment", "#microsoft.graph.itemAttachment",
                    "#microsoft.graph.referenceAttachment", "#microsoft.graph.FILEATTACHMENT", "", "#bogus"]
base64_text = st.one_of(st.binary(max_size=300).map(lambda raw: base64.b64encode(raw).decode()),
                        st.sampled_from(["", "=", "A", "AAA", "AA==AA==", "not base64!", "QUJD\r\nREVG", "QUJD DEVG"]),
                        nasty_text())
attachment = st.fixed_dictionaries(
    {"@odata.type": st.one_of(st.sampled_from(ATTACHMENT_TYPES), json_value)},
    optional={"name": st.one_of(nasty_text(), json_value),
              "contentType": st.one_of(st.sampled_from(["text/plain", "application/octet-stream", "image/png",
                                                        "text/plain; charset=\"x\"", "message/rfc822",
                                                        "multipart/mixed", "", "no-slash", "a/b\r\nX-Evil: 1"]),
                                       nasty_text(), json_value),
              "contentBytes": st.one_of(base64_text, json_value),
              "isInline": st.one_of(st.booleans(), json_value),
              "contentId": st.one_of(nasty_text(), json_value),
              "item": st.one_of(message, json_value),
              "sourceUrl": st.one_of(nasty_text(), json_value),
              "providerType": st.one_of(enum_word, json_value),
              "permission": st.one_of(enum_word, json_value),
              "isFolder": st.one_of(st.booleans(), json_value),
              "size": json_value})
folder = st.fixed_dictionaries({}, optional={"displayName": st.one_of(nasty_text(), nasty_text(), json_value),
                                             "isHidden": st.one_of(st.booleans(), json_value),
                                             "parentFolderId": json_value, "bogus": json_value})


def body_of(value: st.SearchStrategy[Any]) -> st.SearchStrategy[bytes]:
    """A request body: mostly `value` as JSON, sometimes no JSON object at all, or nested past any limit."""
    return st.one_of(
        value.map(json_bytes), value.map(json_bytes), value.map(json_bytes),
        json_value.map(json_bytes),
        st.integers(1, 5000).map(lambda depth: nested_json(depth).encode()),
        st.integers(1, 3000).map(lambda depth: ('{"subject":"x","body":' + nested_json(depth, '"y"') + "}").encode()),
        st.binary(max_size=200),
        st.sampled_from([b"", b" ", b"{", b"null", b"[]", b'{"a":1e400}', b'{"a":"\xed\xa0\x80"}', b"\xff\xfe{}",
                         b'{"subject":"\\ud800"}', b'{"subject":"\\u0000"}', b'{"subject":"a"}{"subject":"b"}']),
        short_text.map(lambda text: text.encode("utf-8", "surrogatepass")),
    )
