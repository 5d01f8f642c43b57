"""$batch bodies of any shape: the batch is refused with a Graph 400, or every answer inside it is
below 500 and every 4xx inside it is in Graph's envelope."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.api.mail_helpers import Mailbox
from tests.fuzz.conftest import assert_envelope, assert_graph_answer
from tests.fuzz.graph_json import attachment, folder, message
from tests.fuzz.text import json_bytes, json_value, short_text

JSON = {"Content-Type": "application/json"}
URLS = ["/me", "me/messages", "/me/messages?$top=1", "/me/messages?$filter=subject eq 'a b'", "/me/mailFolders",
        "/me/mailFolders/inbox/messages", "/me/sendMail", "/me/messages/{draft}", "/me/messages/{draft}/attachments",
        "/me/messages/{draft}/send", "/me/messages/{draft}/createReply", "/me/messages/{draft}/$value",
        "/users/bob@contoso.test/messages", "https://graph.microsoft.com/v1.0/me", "/$batch", "/me/../me", "?",
        "/me/messages/{draft}/move", "/me/mailFolders/inbox/childFolders"]
sub_body = st.one_of(message, st.fixed_dictionaries({"message": message}), attachment, folder, json_value,
                     st.binary(max_size=100).map(lambda raw: base64.b64encode(raw).decode()), st.none())
sub_request = st.fixed_dictionaries(
    {"id": st.one_of(st.sampled_from(["1", "2", "3", "A", "a"]), short_text, json_value),
     "method": st.one_of(st.sampled_from(["GET", "POST", "PATCH", "DELETE", "PUT", "get", "HEAD", "OPTIONS"]),
                         short_text, json_value),
     "url": st.one_of(st.sampled_from(URLS), st.sampled_from(URLS), short_text, json_value)},
    optional={"headers": st.one_of(st.fixed_dictionaries({"Content-Type": st.sampled_from(
        ["application/json", "text/plain", "", "application/json; charset=utf-8"])},
        optional={"Prefer": st.one_of(short_text, json_value), "If-Match": short_text,
                  "client-request-id": st.one_of(short_text, json_value)}), json_value),
        "body": sub_body,
        "dependsOn": st.one_of(st.lists(st.sampled_from(["1", "2", "3", "a"]), max_size=2), json_value)})
batch = st.one_of(st.fixed_dictionaries({"requests": st.lists(sub_request, max_size=4)}),
                  st.fixed_dictionaries({"requests": json_value}), json_value)


def _with_draft(value: Any, draft_id: str) -> Any:
    if isinstance(value, str):
        return value.replace("{draft}", draft_id)
    if isinstance(value, list):
        return [_with_draft(item, draft_id) for item in value]
    if isinstance(value, dict):
        return {key: _with_draft(item, draft_id) for key, item in value.items()}
    return value


@given(payload=batch)
async def test_any_batch_is_refused_whole_or_answers_each_request_without_a_5xx(alice: Mailbox, draft_id: str,
                                                                                payload: Any) -> None:
    response = await alice.client.post("/v1.0/$batch", content=json_bytes(_with_draft(payload, draft_id)),
                                       headers={**alice.headers, **JSON})
    assert_graph_answer(response)
    if response.status_code != 200:
        return
    for answer in response.json()["responses"]:
        assert answer["status"] < 500, answer
        if answer["status"] >= 400:
            assert_envelope(answer["status"], answer.get("body"), answer["headers"])
