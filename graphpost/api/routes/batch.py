"""JSON batching: POST /{v1.0|beta}/$batch (https://learn.microsoft.com/graph/json-batching).

Each request of a batch runs through this same ASGI app, in-process, as if it had arrived on its
own: its own authorisation, routing, errors and request id. So a route behaves inside a batch
exactly as outside it, and nothing here knows about mail.

Graph's messages are quoted word for word where users have recorded them in issues and tests
(the 400s for the batch as a whole); NESTED is ours, Graph's answer there is not known."""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable
from urllib.parse import quote, unquote

import orjson
from fastapi import APIRouter, Request, Response
from starlette.types import ASGIApp, Message, Scope

from graphpost.api.auth import Caller
from graphpost.api.errors import envelope
from graphpost.api.runtime import runtime_of
from graphpost.errors import BadRequest, FailedDependency, GraphError
from graphpost.logs import current_request_id

log = logging.getLogger(__name__)
router = APIRouter()

MAX_REQUESTS = 20
INVALID_PAYLOAD = "Invalid batch payload format."
TOO_MANY = "Number of requests inside batch exceed the limit."
MIXED_ORDERING = "Batch should be either fully sequential or fully parallel."
NESTED = "A batch request cannot contain another batch request."
# An answer's body past this size (a message's MIME, an attachment's content) is re-encoded (JSON
# read back, or base64) in a thread: ~3 ms per MB that would otherwise hold up every other request.
ENCODE_IN_THREAD = 1024 * 1024
# Graph refuses the whole batch when a write carries no body or a body without Content-Type
# (even an action that takes no body, such as /send, must send `"body": {}`).
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
METHOD = re.compile(r"[A-Za-z]+")
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Characters left as they are when a url is percent-encoded for the ASGI scope: clients send urls
# both encoded and not (the docs' own example has spaces in a $filter).
PATH_SAFE = "/!$&'()*+,;=:@%~"
QUERY_SAFE = PATH_SAFE + "?"
# Headers that the batch sets itself, or that belong to a connection rather than to a request.
OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
# A sub-request is authorised with the batch's token and correlated with its client-request-id,
# unless it sends its own.
INHERITED_HEADERS = ("authorization", "client-request-id")
TRANSPORT_HEADERS = frozenset({"content-length", "transfer-encoding", "connection", "keep-alive", "date", "server"})
# Sub-response headers are spelled as Graph spells them ("Content-Type", "Cache-Control"); its own
# request-id and client-request-id are lower-case.
HEADER_SPELLING = {"www-authenticate": "WWW-Authenticate", "odata-version": "OData-Version", "etag": "ETag",
                   "request-id": "request-id", "client-request-id": "client-request-id"}
# Marks a request as one of a batch, so that a batch inside a batch can be refused.
IN_BATCH = "graphpost.batch"


@dataclass(frozen=True)
class SubRequest:
    id: str
    method: str
    url: str
    headers: dict[str, str]  # names lower-cased
    body: bytes | None
    depends_on: tuple[str, ...]  # ids case-folded: Graph's request ids are not case-sensitive

    @property
    def key(self) -> str:
        return self.id.casefold()


@router.post("/$batch")
async def run_batch(request: Request, _: Caller) -> Response:
    if request.scope.get("state", {}).get(IN_BATCH):
        raise BadRequest(NESTED)
    requests = parse_batch(await request.body())
    version = request.scope["path"].rsplit("/", 1)[0]
    if any(item.depends_on for item in requests):
        answers = await _in_order(request, version, requests)
    else:
        # No dependsOn: Graph runs the requests in parallel, in no particular order; with throttling
        # on, 4 at a time, as Graph runs a batch's Outlook requests to keep within the mailbox's
        # concurrency limit (learn.microsoft.com/graph/throttling-limits, "Outlook service batching").
        runs: list[Awaitable[dict[str, Any]]] = [_run(request, version, item) for item in requests]
        throttle = runtime_of(request).throttle
        if throttle is not None:
            slots = asyncio.Semaphore(throttle.settings.throttle_concurrency)
            runs = [_limited(slots, run) for run in runs]
        answers = list(await asyncio.gather(*runs))
    # In a thread: with large answers embedded, the whole can be up to 20 times their size.
    return Response(await asyncio.to_thread(orjson.dumps, {"responses": answers}), media_type="application/json")


async def _limited(slots: asyncio.Semaphore, run: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    async with slots:
        return await run


def parse_batch(raw: bytes) -> list[SubRequest]:
    """The requests of a batch body, or the BadRequest with which Graph refuses the whole batch."""
    try:
        payload = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest(INVALID_PAYLOAD) from None
    entries = payload.get("requests") if isinstance(payload, dict) else None
    if not isinstance(entries, list) or not entries:
        raise BadRequest(INVALID_PAYLOAD)
    if len(entries) > MAX_REQUESTS:
        raise BadRequest(TOO_MANY)
    requests: list[SubRequest] = []
    seen: set[str] = set()
    for entry in entries:
        item = _sub_request(entry)
        if item.key in seen:
            raise BadRequest(f"Request Id {item.id} has to be unique in a batch.")
        # A dependency must be an earlier request of the batch; Graph runs them in array order.
        if any(dependency not in seen for dependency in item.depends_on):
            raise BadRequest(f"Invalid dependency for request Id {item.id}.")
        seen.add(item.key)
        requests.append(item)
    ordered = [bool(item.depends_on) for item in requests[1:]]
    if any(ordered) and not all(ordered):
        raise BadRequest(MIXED_ORDERING)
    return requests


def _sub_request(entry: Any) -> SubRequest:
    if not isinstance(entry, dict):
        raise BadRequest(INVALID_PAYLOAD)
    request_id, method, url = entry.get("id"), entry.get("method"), entry.get("url")
    if not (isinstance(request_id, str) and request_id.strip() and isinstance(method, str)
            and METHOD.fullmatch(method) and isinstance(url, str) and url.strip()):
        raise BadRequest(INVALID_PAYLOAD)
    item = SubRequest(request_id, method.upper(), url.strip(), _headers(entry.get("headers")),
                      _body(entry.get("body")), _depends_on(entry.get("dependsOn")))
    if item.method in WRITE_METHODS:
        if item.body is None:
            raise BadRequest(f"Write request id : {item.id} does not contain Content-Type header or body.")
        if "content-type" not in item.headers:
            raise BadRequest(f"Write request with id '{item.id}' does not contain a Content-Type header.")
    return item


def _headers(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequest(INVALID_PAYLOAD)
    headers: dict[str, str] = {}
    for name, raw in value.items():
        text = ", ".join(map(str, raw)) if isinstance(raw, list) else raw
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            text = str(text)
        if not (isinstance(text, str) and HEADER_NAME.fullmatch(name) and _is_header_value(text)):
            raise BadRequest(INVALID_PAYLOAD)
        headers[name.lower()] = text
    return headers


def _is_header_value(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return "\r" not in text and "\n" not in text


def _body(value: Any) -> bytes | None:
    """A JSON body as JSON; a string is the base64 of any other body (the docs: "a base64
    URL-encoded value, for example, when the body is an image"). msgraph-core sends the standard
    alphabet, so both are read."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        return orjson.dumps(value)
    if isinstance(value, str):
        text = "".join(value.split()).replace("-", "+").replace("_", "/")
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(INVALID_PAYLOAD) from None
    raise BadRequest(INVALID_PAYLOAD)


def _depends_on(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(dependency, str) for dependency in value):
        raise BadRequest(INVALID_PAYLOAD)
    return tuple(dependency.casefold() for dependency in value)


async def _in_order(request: Request, version: str, requests: list[SubRequest]) -> list[dict[str, Any]]:
    """With dependsOn the batch runs in array order, and a request whose dependency did not
    succeed is not run at all: its answer is 424."""
    statuses: dict[str, int] = {}
    answers: list[dict[str, Any]] = []
    for item in requests:
        failed = next((dependency for dependency in item.depends_on if not 200 <= statuses[dependency] < 300), None)
        if failed is None:
            answer = await _run(request, version, item)
        else:
            refusal = envelope(request, FailedDependency(next(r.id for r in requests if r.key == failed)))
            answer = _answer(item.id, refusal.status_code, refusal.raw_headers, bytes(refusal.body))
        statuses[item.key] = answer["status"]
        answers.append(answer)
    return answers


async def _run(request: Request, version: str, item: SubRequest) -> dict[str, Any]:
    scope = _scope(request, version, item)
    status, headers, body = await _call(request.app, scope, item.body or b"")
    if len(body) > ENCODE_IN_THREAD:
        return await asyncio.to_thread(_answer, item.id, status, headers, body)
    return _answer(item.id, status, headers, body)


def _scope(request: Request, version: str, item: SubRequest) -> Scope:
    # The url is relative to the batch's version, whatever it looks like: an absolute one (as
    # msgraph-sdk-python sends) gets Graph's 400 for its first segment, "https:".
    path, _, query = item.url.partition("#")[0].partition("?")
    raw_path = quote(f"{version}/{path.lstrip('/')}", safe=PATH_SAFE)
    headers = {name: request.headers[name] for name in INHERITED_HEADERS if name in request.headers}
    headers.update((name, value) for name, value in item.headers.items() if name not in OWN_HEADERS)
    if "host" in request.headers:  # the same server: absolute links in the answers point back here
        headers["host"] = request.headers["host"]
    if item.body is not None:
        headers["content-length"] = str(len(item.body))
    outer = request.scope
    return {
        "type": "http",
        # spec_version 2.4: a streamed answer need not watch for the client leaving (it never does).
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": outer.get("http_version", "1.1"),
        "method": item.method,
        "scheme": outer.get("scheme", "http"),
        "server": outer.get("server"),
        "client": outer.get("client"),
        "root_path": outer.get("root_path", ""),
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("ascii"),
        "query_string": quote(query, safe=QUERY_SAFE).encode("ascii"),
        "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()],
        # A state of its own: the batch's (its request id, its signed-in user) is not the sub-request's.
        "state": {IN_BATCH: True},
    }


async def _call(app: ASGIApp, scope: Scope, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Runs one request through the app and collects its answer."""
    start: Message | None = None
    chunks: list[bytes] = []
    complete = asyncio.Event()
    body_sent = False

    async def receive() -> Message:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await complete.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                complete.set()

    # The request's own records carry its id (api/context.py); the batch's records after it, the batch's.
    batch_request_id = current_request_id.get()
    try:
        await app(scope, receive, send)
    except Exception:
        # The app's own handler has already answered (500) and logged it; it re-raises for the
        # server. Inside a batch the answer is enough, unless there is none.
        if start is None:
            log.exception("unhandled error in a batch request %s %s", scope["method"], scope["path"])
    finally:
        complete.set()
        current_request_id.set(batch_request_id)
    if start is None:
        fallback = envelope(Request(scope), GraphError())
        return fallback.status_code, fallback.raw_headers, bytes(fallback.body)
    return start["status"], list(start.get("headers", [])), b"".join(chunks)


def _answer(request_id: str, status: int, raw_headers: list[tuple[bytes, bytes]], body: bytes) -> dict[str, Any]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw_headers:
        name = raw_name.decode("latin-1").lower()
        if name in TRANSPORT_HEADERS:
            continue
        spelled = HEADER_SPELLING.get(name) or "-".join(part.capitalize() for part in name.split("-"))
        value = raw_value.decode("latin-1")
        headers[spelled] = f"{headers[spelled]}, {value}" if spelled in headers else value
    answer: dict[str, Any] = {"id": request_id, "status": status, "headers": headers}
    if body:
        answer["body"] = _embedded(headers.get("Content-Type", ""), body)
    return answer


def _embedded(content_type: str, body: bytes) -> Any:
    """A JSON body goes in as JSON; any other (a MIME message, an attachment's bytes) as base64, as
    Graph returns, say, a photo's $value inside a batch."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass
    return base64.b64encode(body).decode("ascii")
