"""JSON batching, POST /{v1.0|beta}/$batch: each request answered with its own id, status, headers
and body; dependsOn ordering and 424; per-request authorisation; Graph's 400s for a batch it
refuses as a whole."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from graphpost.api.responses import GRAPH_JSON
from tests.api.assertions import assert_graph_error
from tests.api.mail_helpers import BOB, Mailbox, addresses, parse_mime, recipients
from tests.tokens import TokenMint

JSON = {"Content-Type": "application/json"}
# Graph wants a body and a Content-Type on every write in a batch, even on an action that takes
# no body: https://learn.microsoft.com/graph/json-batching ("only body can be an empty object").
NO_BODY: dict[str, Any] = {"body": {}, "headers": JSON}


async def post_batch(mailbox: Mailbox, requests: list[dict[str, Any]], version: str = "v1.0",
                     headers: dict[str, str] | None = None) -> httpx.Response:
    return await mailbox.client.post(f"/{version}/$batch", json={"requests": requests},
                                     headers={**mailbox.headers, **(headers or {})})


async def answers(mailbox: Mailbox, requests: list[dict[str, Any]], version: str = "v1.0",
                  headers: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The batch's answers by id, after checking that it was answered 200, once per request."""
    response = await post_batch(mailbox, requests, version, headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    responses = response.json()["responses"]
    assert sorted(answer["id"] for answer in responses) == sorted(request["id"] for request in requests)
    # Each request has a request id of its own, not the batch's.
    assert response.headers["request-id"] not in {answer["headers"].get("request-id") for answer in responses}
    return {answer["id"]: answer for answer in responses}


def assert_sub_error(answer: dict[str, Any], status: int, code: str) -> dict[str, Any]:
    """A sub-response carrying Graph's error envelope, with the request id of its own header."""
    assert answer["status"] == status, answer
    error = answer["body"]["error"]
    assert error["code"] == code, error
    assert error["message"]
    assert error["innerError"]["request-id"] == answer["headers"]["request-id"]
    return error


def assert_refused(response: httpx.Response, message: str) -> None:
    """Graph's 400 for a batch it refuses as a whole: nothing in it ran."""
    error = assert_graph_error(response, 400, "BadRequest")
    assert error["message"] == message


async def test_each_request_is_answered_with_its_id_status_headers_and_body(alice: Mailbox) -> None:
    first = await alice.create_draft(subject="First")
    second = await alice.create_draft(subject="Second")
    by_id = await answers(alice, [
        {"id": "list", "method": "GET", "url": "/me/messages?$top=1&$select=subject"},
        {"id": "folder", "method": "GET", "url": "me/mailFolders/drafts"},  # no leading slash
        {"id": "one", "method": "GET", "url": f"/me/messages/{second['id']}"},
        {"id": "missing", "method": "GET", "url": f"/me/messages/{first['id'][:-4]}AAAA"},
    ], headers={"client-request-id": "batch-7"})

    # Each body is what the same request answers on its own.
    direct_list = await alice.get("messages", params={"$top": "1", "$select": "subject"})
    assert by_id["list"]["status"] == 200
    assert by_id["list"]["body"] == direct_list.json()
    assert by_id["list"]["body"]["@odata.nextLink"]
    assert by_id["folder"]["status"] == 200
    assert by_id["folder"]["body"] == await alice.folder("drafts")
    assert by_id["folder"]["body"]["totalItemCount"] == 2
    assert by_id["one"]["status"] == 200
    assert by_id["one"]["body"] == await alice.message(second["id"])
    assert_sub_error(by_id["missing"], 404, "ErrorItemNotFound")

    for answer in by_id.values():
        headers = answer["headers"]
        assert headers["Content-Type"] == GRAPH_JSON
        assert headers["client-request-id"] == "batch-7"  # the batch's, carried to each request
        assert "Content-Length" not in headers
    request_ids = {answer["headers"]["request-id"] for answer in by_id.values()}
    assert len(request_ids) == 4  # each request has a request id of its own


async def test_a_sub_request_sends_its_own_headers_and_gets_the_answer_headers(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Formatted", body={"contentType": "html", "content": "<p>Hi <b>Bob</b></p>"})
    by_id = await answers(alice, [
        {"id": "1", "method": "GET", "url": f"/me/messages/{draft['id']}",
         "headers": {"Prefer": 'outlook.body-content-type="text"', "client-request-id": "mine"}},
        {"id": "2", "method": "GET", "url": f"/me/messages/{draft['id']}"},
    ])
    assert by_id["1"]["headers"]["Preference-Applied"] == 'outlook.body-content-type="text"'
    assert by_id["1"]["headers"]["client-request-id"] == "mine"
    assert by_id["1"]["body"]["body"]["contentType"] == "text"
    assert "Preference-Applied" not in by_id["2"]["headers"]
    assert by_id["2"]["body"]["body"]["contentType"] == "html"


async def test_beta_batch_runs_its_requests_on_beta(alice: Mailbox) -> None:
    await alice.create_draft(subject="On beta")
    by_id = await answers(alice, [{"id": "1", "method": "get", "url": "me/messages"}], version="beta")
    assert by_id["1"]["status"] == 200
    assert "/beta/" in by_id["1"]["body"]["@odata.context"]
    assert [message["subject"] for message in by_id["1"]["body"]["value"]] == ["On beta"]


async def test_dependent_requests_run_in_order_update_send_and_find_the_message_sent(
        alice: Mailbox, bob: Mailbox) -> None:
    draft = await alice.create_draft(subject="Agenda")
    by_id = await answers(alice, [
        {"id": "1", "method": "PATCH", "url": f"/me/messages/{draft['id']}",
         "body": {"toRecipients": recipients(BOB)}, "headers": JSON},
        {"id": "2", "method": "POST", "url": f"/me/messages/{draft['id']}/send", "dependsOn": ["1"], **NO_BODY},
        {"id": "3", "method": "GET", "url": "/me/mailFolders/sentitems/messages", "dependsOn": ["2"]},
        {"id": "4", "method": "POST", "url": "/me/sendMail", "dependsOn": ["3"], "headers": JSON,
         "body": {"message": {"subject": "Minutes", "toRecipients": recipients(BOB)}, "saveToSentItems": False}},
    ])
    assert by_id["1"]["status"] == 200
    assert addresses(by_id["1"]["body"]["toRecipients"]) == [BOB]
    assert by_id["2"]["status"] == 202
    assert "body" not in by_id["2"]  # an empty answer carries no body
    # Request 3 ran after the send: the message is already in Sent Items.
    assert by_id["3"]["status"] == 200
    assert [message["subject"] for message in by_id["3"]["body"]["value"]] == ["Agenda"]
    assert by_id["4"]["status"] == 202
    assert await alice.messages_in("drafts") == []
    assert sorted(message["subject"] for message in await bob.messages_in("inbox")) == ["Agenda", "Minutes"]


async def test_a_request_whose_dependency_failed_answers_424_and_does_not_run(alice: Mailbox, bob: Mailbox) -> None:
    draft = await alice.create_draft(subject="Held", toRecipients=recipients(BOB))
    gone = f"{draft['id'][:-4]}AAAA"
    by_id = await answers(alice, [
        {"id": "send-gone", "method": "POST", "url": f"/me/messages/{gone}/send", **NO_BODY},
        {"id": "send-held", "method": "POST", "url": f"/me/messages/{draft['id']}/send", "dependsOn": ["SEND-GONE"],
         **NO_BODY},
        {"id": "list", "method": "GET", "url": "/me/mailFolders/sentitems/messages", "dependsOn": ["send-held"]},
    ])
    assert_sub_error(by_id["send-gone"], 404, "ErrorItemNotFound")
    for dependent, dependency in (("send-held", "send-gone"), ("list", "send-held")):
        answer = by_id[dependent]
        assert answer["status"] == 424
        assert answer["headers"]["Content-Type"].startswith("application/json")
        assert answer["body"]["error"]["code"] == "FailedDependency"
        assert dependency in answer["body"]["error"]["message"]
    # Not run: the draft was not sent.
    assert [message["id"] for message in await alice.messages_in("drafts")] == [draft["id"]]
    assert await bob.messages_in("inbox") == []


async def test_without_depends_on_a_failure_does_not_stop_the_other_requests(alice: Mailbox, bob: Mailbox) -> None:
    draft = await alice.create_draft(subject="Independent", toRecipients=recipients(BOB))
    by_id = await answers(alice, [
        {"id": "a", "method": "POST", "url": f"/me/messages/{draft['id'][:-4]}AAAA/send", **NO_BODY},
        {"id": "b", "method": "POST", "url": f"/me/messages/{draft['id']}/send", **NO_BODY},
    ])
    assert by_id["a"]["status"] == 404
    assert by_id["b"]["status"] == 202
    assert [message["subject"] for message in await bob.messages_in("inbox")] == ["Independent"]


async def test_each_request_is_authorised_on_its_own(alice: Mailbox, bob: Mailbox, tokens: TokenMint) -> None:
    await bob.create_draft(subject="Bob's own")
    await alice.create_draft(subject="Alice's own")
    bob_token = bob.headers["Authorization"]
    by_id = await answers(alice, [
        # A delegated token reaches only its own mailbox.
        {"id": "bob-with-alice-token", "method": "GET", "url": f"/users/{BOB}/messages"},
        {"id": "own", "method": "GET", "url": "/me/messages"},
        # A request may carry its own token: /me is then that token's user.
        {"id": "bob-with-bob-token", "method": "GET", "url": "/me/messages", "headers": {"Authorization": bob_token}},
        {"id": "bad-token", "method": "GET", "url": "/me/messages", "headers": {"authorization": "Bearer not-a-jwt"}},
        {"id": "read-only", "method": "POST", "url": "/me/messages", "body": {"subject": "x"}, "headers": {
            **JSON, "Authorization": f"Bearer {await tokens.user(scopes=('Mail.Read',))}"}},
    ])
    assert_sub_error(by_id["bob-with-alice-token"], 403, "ErrorAccessDenied")
    assert [m["subject"] for m in by_id["own"]["body"]["value"]] == ["Alice's own"]
    assert [m["subject"] for m in by_id["bob-with-bob-token"]["body"]["value"]] == ["Bob's own"]
    assert_sub_error(by_id["bad-token"], 401, "InvalidAuthenticationToken")
    assert by_id["bad-token"]["headers"]["WWW-Authenticate"].startswith("Bearer")
    assert_sub_error(by_id["read-only"], 403, "ErrorAccessDenied")
    assert [m["subject"] for m in await alice.messages_in("drafts")] == ["Alice's own"]


async def test_the_batch_itself_needs_a_valid_token(alice: Mailbox) -> None:
    requests = [{"id": "1", "method": "GET", "url": "/me/messages", "headers": alice.headers}]
    response = await alice.client.post("/v1.0/$batch", json={"requests": requests})
    assert_graph_error(response, 401, "InvalidAuthenticationToken")
    response = await alice.client.post("/v1.0/$batch", json={"requests": requests},
                                       headers={"Authorization": "Bearer expired.or.forged"})
    assert_graph_error(response, 401, "InvalidAuthenticationToken")


async def test_a_non_json_answer_is_embedded_as_base64(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Raw", toRecipients=recipients(BOB),
                                     body={"contentType": "text", "content": "Plain words."})
    by_id = await answers(alice, [{"id": "mime", "method": "GET", "url": f"/me/messages/{draft['id']}/$value"}])
    answer = by_id["mime"]
    assert answer["status"] == 200
    assert not answer["headers"]["Content-Type"].startswith("application/json")
    raw = base64.b64decode(answer["body"], validate=True)
    assert raw == await alice.mime(draft["id"])
    assert parse_mime(raw)["Subject"] == "Raw"


async def test_a_string_body_is_read_as_base64(alice: Mailbox) -> None:
    message = json.dumps({"subject": "Sent as base64"}).encode()
    by_id = await answers(alice, [
        {"id": "standard", "method": "POST", "url": "/me/messages", "headers": JSON,
         "body": base64.b64encode(message).decode()},
        # The docs say "base64 URL-encoded"; without padding too.
        {"id": "urlsafe", "method": "POST", "url": "/me/messages", "headers": JSON,
         "body": base64.urlsafe_b64encode(json.dumps({"subject": "Sent as base64url?"}).encode()).decode().rstrip("=")},
    ])
    assert by_id["standard"]["status"] == 201
    assert by_id["standard"]["body"]["subject"] == "Sent as base64"
    assert by_id["urlsafe"]["status"] == 201
    assert by_id["urlsafe"]["body"]["subject"] == "Sent as base64url?"


async def test_twenty_requests_are_allowed_and_twenty_one_are_refused(alice: Mailbox) -> None:
    requests = [{"id": str(n), "method": "GET", "url": "/me/mailFolders/inbox"} for n in range(20)]
    by_id = await answers(alice, requests)
    assert {answer["status"] for answer in by_id.values()} == {200}
    requests.append({"id": "20", "method": "GET", "url": "/me/mailFolders/inbox"})
    assert_refused(await post_batch(alice, requests), "Number of requests inside batch exceed the limit.")


async def test_request_ids_must_be_unique_whatever_their_case(alice: Mailbox) -> None:
    await alice.create_draft(subject="Untouched")
    response = await post_batch(alice, [
        {"id": "AAMk-1", "method": "DELETE", "url": "/me/mailFolders/drafts"},
        {"id": "aamk-1", "method": "GET", "url": "/me/messages"},
    ])
    assert_refused(response, "Request Id aamk-1 has to be unique in a batch.")
    assert len(await alice.messages_in("drafts")) == 1


INVALID_PAYLOADS = {
    "not JSON": b'{"requests": [',
    "not an object": b'[{"id": "1", "method": "GET", "url": "/me"}]',
    "no requests": b'{}',
    "requests not a list": b'{"requests": {"id": "1", "method": "GET", "url": "/me"}}',
    "no request at all": b'{"requests": []}',
    "a request that is not an object": b'{"requests": ["GET /me"]}',
    "no id": b'{"requests": [{"method": "GET", "url": "/me/messages"}]}',
    "empty id": b'{"requests": [{"id": "", "method": "GET", "url": "/me/messages"}]}',
    "id not a string": b'{"requests": [{"id": {"n": 1}, "method": "GET", "url": "/me/messages"}]}',
    "no method": b'{"requests": [{"id": "1", "url": "/me/messages"}]}',
    "method not a word": b'{"requests": [{"id": "1", "method": "GET /me", "url": "/me/messages"}]}',
    "no url": b'{"requests": [{"id": "1", "method": "GET"}]}',
    "headers not an object": b'{"requests": [{"id": "1", "method": "GET", "url": "/me", "headers": ["a"]}]}',
    "header value not text": b'{"requests": [{"id": "1", "method": "GET", "url": "/me", "headers": {"a": {}}}]}',
    "body not base64": b'{"requests": [{"id": "1", "method": "POST", "url": "/me/messages", "body": "%%%", '
                       b'"headers": {"Content-Type": "text/plain"}}]}',
    "dependsOn not a list": b'{"requests": [{"id": "1", "method": "GET", "url": "/me"}, '
                            b'{"id": "2", "method": "GET", "url": "/me", "dependsOn": "1"}]}',
}


@pytest.mark.parametrize("payload", INVALID_PAYLOADS.values(), ids=INVALID_PAYLOADS.keys())
async def test_a_batch_graph_cannot_read_is_refused_as_a_whole(alice: Mailbox, payload: bytes) -> None:
    response = await alice.client.post("/v1.0/$batch", content=payload, headers={**alice.headers, **JSON})
    assert_refused(response, "Invalid batch payload format.")


async def test_a_write_without_a_body_or_without_a_content_type_refuses_the_batch(alice: Mailbox) -> None:
    draft = await alice.create_draft(subject="Still a draft", toRecipients=recipients(BOB))
    list_drafts = {"id": "list", "method": "GET", "url": "/me/mailFolders/drafts/messages"}
    # /send as the SDKs build it for a single request: no body.
    response = await post_batch(alice, [list_drafts, {"id": "send", "method": "POST",
                                                      "url": f"/me/messages/{draft['id']}/send"}])
    assert_refused(response, "Write request id : send does not contain Content-Type header or body.")
    response = await post_batch(alice, [list_drafts, {"id": "send", "method": "POST", "body": {},
                                                      "url": f"/me/messages/{draft['id']}/send"}])
    assert_refused(response, "Write request with id 'send' does not contain a Content-Type header.")
    assert [message["id"] for message in await alice.messages_in("drafts")] == [draft["id"]]


@pytest.mark.parametrize("depends_on", [["3"], ["2"], ["nobody"]], ids=["a later request", "itself", "unknown"])
async def test_depends_on_must_name_an_earlier_request(alice: Mailbox, depends_on: list[str]) -> None:
    response = await post_batch(alice, [
        {"id": "1", "method": "GET", "url": "/me/messages"},
        {"id": "2", "method": "GET", "url": "/me/messages", "dependsOn": depends_on},
        {"id": "3", "method": "GET", "url": "/me/messages", "dependsOn": ["1"]},
    ])
    assert_refused(response, "Invalid dependency for request Id 2.")


async def test_a_batch_partly_sequential_and_partly_parallel_is_refused(alice: Mailbox) -> None:
    # The docs' old example, which Graph answers with this 400.
    response = await post_batch(alice, [
        {"id": "1", "method": "GET", "url": "/me/messages"},
        {"id": "2", "method": "GET", "url": "/me/messages", "dependsOn": ["1"]},
        {"id": "3", "method": "GET", "url": "/me/messages"},
        {"id": "4", "method": "GET", "url": "/me/messages", "dependsOn": ["2"]},
    ])
    assert_refused(response, "Batch should be either fully sequential or fully parallel.")


async def test_a_batch_inside_a_batch_is_refused_and_its_siblings_run(alice: Mailbox) -> None:
    inner = {"requests": [{"id": "i", "method": "GET", "url": "/me/messages"}]}
    by_id = await answers(alice, [
        {"id": "nested", "method": "POST", "url": "/$batch", "body": inner, "headers": JSON},
        {"id": "sibling", "method": "GET", "url": "/me/mailFolders/inbox"},
    ])
    error = assert_sub_error(by_id["nested"], 400, "BadRequest")
    assert "batch" in error["message"]
    assert by_id["sibling"]["status"] == 200


async def test_a_sub_request_to_an_unknown_path_or_method_answers_graphs_error(alice: Mailbox) -> None:
    by_id = await answers(alice, [
        {"id": "segment", "method": "GET", "url": "/me/nothingHere"},
        {"id": "method", "method": "PUT", "url": "/me/messages", "body": {}, "headers": JSON},
        {"id": "other-version", "method": "GET", "url": "/beta/me/messages"},
        {"id": "absolute", "method": "GET", "url": "https://graph.microsoft.com/v1.0/me/messages"},
    ])
    assert assert_sub_error(by_id["segment"], 400, "BadRequest")["message"] == \
        "Resource not found for the segment 'nothingHere'."
    assert_sub_error(by_id["method"], 405, "BadRequest")
    # The url is relative to the batch's version: a version in it is an unknown segment.
    assert assert_sub_error(by_id["other-version"], 400, "BadRequest")["message"] == \
        "Resource not found for the segment 'beta'."
    # So is an absolute url: Graph reads it as a path too (msgraph-sdk-python issue #1015).
    assert assert_sub_error(by_id["absolute"], 400, "BadRequest")["message"] == \
        "Resource not found for the segment 'https:'."


async def test_the_batch_endpoint_takes_only_post(alice: Mailbox) -> None:
    assert_graph_error(await alice.client.get("/v1.0/$batch", headers=alice.headers), 405, "BadRequest")


async def test_the_4_mb_limit_applies_to_the_whole_batch(alice: Mailbox) -> None:
    # Each request is small; together they are over the 4 MB a request may carry.
    content = "x" * (220 * 1024)
    requests = [{"id": str(n), "method": "POST", "url": "/me/messages", "headers": JSON,
                 "body": {"subject": f"Big {n}", "body": {"contentType": "text", "content": content}}}
                for n in range(20)]
    response = await post_batch(alice, requests)
    assert_graph_error(response, 413, "RequestEntityTooLarge")
    assert await alice.messages_in("drafts") == []
