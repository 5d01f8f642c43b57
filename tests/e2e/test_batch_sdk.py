"""JSON batching end to end with msgraph-sdk: msgraph-core's BatchRequestContent sent through
`client.batch` (v1.0) and BatchRequestBuilder (beta), and a BatchRequestContentCollection that the
SDK splits into batches of 20, against a real `graphpost serve` on each backend."""

from __future__ import annotations

import sys
import types
from io import BytesIO

import pytest

try:
    import deprecated  # noqa: F401
except ImportError:
    # msgraph-core 1.5.2 imports `deprecated` (for a decorator on a class the batch code does not
    # use) without declaring it as a dependency: without this, `client.batch` cannot be imported.
    _shim = types.ModuleType("deprecated")
    _shim.deprecated = lambda *args, **kwargs: (lambda wrapped: wrapped)  # type: ignore[attr-defined]
    sys.modules["deprecated"] = _shim

from kiota_abstractions.base_request_builder import BaseRequestBuilder  # noqa: E402
from kiota_abstractions.request_information import RequestInformation  # noqa: E402
from msgraph import GraphServiceClient  # noqa: E402
from msgraph.generated.models.email_address import EmailAddress  # noqa: E402
from msgraph.generated.models.message import Message  # noqa: E402
from msgraph.generated.models.o_data_errors.o_data_error import ODataError  # noqa: E402
from msgraph.generated.models.recipient import Recipient  # noqa: E402
from msgraph_core.requests.batch_request_builder import BatchRequestBuilder  # noqa: E402
from msgraph_core.requests.batch_request_content import BatchRequestContent  # noqa: E402
from msgraph_core.requests.batch_request_content_collection import BatchRequestContentCollection  # noqa: E402
from msgraph_core.requests.batch_request_item import BatchRequestItem  # noqa: E402
from msgraph_core.requests.batch_response_content import BatchResponseContent  # noqa: E402
from msgraph_core.requests.batch_response_content_collection import BatchResponseContentCollection  # noqa: E402
from msgraph_core.requests.batch_response_item import BatchResponseItem  # noqa: E402

from tests.e2e.conftest import SdkClients  # noqa: E402
from tests.e2e.server import ServerProcess  # noqa: E402

pytestmark = pytest.mark.e2e

ALICE, BOB = "alice@contoso.test", "bob@contoso.test"
# Without an error map the SDK raises a bare APIError, without Graph's code and message.
ERRORS = {"4XX": ODataError, "5XX": ODataError}


@pytest.fixture
def server(server_on_each_backend: ServerProcess) -> ServerProcess:
    # Every test here runs on SQLite and on PostgreSQL: a batch's requests run side by side.
    return server_on_each_backend


def recipients(*addresses: str) -> list[Recipient]:
    return [Recipient(email_address=EmailAddress(address=address)) for address in addresses]


def item(client: BaseRequestBuilder, request_information: RequestInformation, request_id: str) -> BatchRequestItem:
    """A batch item with the url Graph expects. msgraph-core 1.5.2 keeps the absolute url of a
    request built after the client has sent one, which Graph refuses (msgraph-sdk-python issue
    #1015); the workaround users apply there is to strip the base url."""
    batch_item = BatchRequestItem(request_information, id=request_id)
    batch_item.url = batch_item.url.removeprefix(client.request_adapter.base_url)
    return batch_item


def batch_of(*items: BatchRequestItem) -> BatchRequestContent:
    return BatchRequestContent({batch_item.id: batch_item for batch_item in items})


async def subjects(client: GraphServiceClient, folder: str) -> list[str | None]:
    page = await client.me.mail_folders.by_mail_folder_id(folder).messages.get()
    assert page is not None and page.value is not None
    return sorted(message.subject for message in page.value)


async def test_sdk_batch_creates_reads_and_sends_in_one_request(server: ServerProcess, sdk: SdkClients) -> None:
    alice, bob = sdk.v1(server.token(ALICE)), sdk.v1(server.token(BOB))
    draft = await alice.me.messages.post(Message(subject="Venue", to_recipients=recipients(BOB)))
    assert draft is not None and draft.id

    create = item(alice, alice.me.messages.to_post_request_information(Message(subject="Batched draft")), "create")
    drafts = item(alice, alice.me.mail_folders.by_mail_folder_id("drafts").messages.to_get_request_information(),
                  "drafts")
    missing = item(alice, alice.me.messages.by_message_id(draft.id[:-4] + "AAAA").to_get_request_information(),
                   "missing")
    send = item(alice, alice.me.messages.by_message_id(draft.id).send.to_post_request_information(), "send")

    # The SDK builds /send without a body, as it sends it alone. Graph refuses such a write in a
    # batch, and the whole batch with it: nothing in it runs.
    with pytest.raises(ODataError) as refused:
        await alice.batch.post(batch_of(create, drafts, missing, send), error_map=ERRORS)
    assert refused.value.response_status_code == 400
    assert refused.value.error is not None and refused.value.error.code == "BadRequest"
    assert refused.value.error.message == "Write request id : send does not contain Content-Type header or body."
    assert await subjects(alice, "drafts") == ["Venue"]

    # With the empty body and the Content-Type Graph asks for, it runs.
    send.body = BytesIO(b"{}")
    send.headers = {"Content-Type": "application/json"}
    response = await alice.batch.post(batch_of(create, drafts, missing, send), error_map=ERRORS)
    assert isinstance(response, BatchResponseContent)
    assert response.get_response_status_codes() == {"create": 201, "drafts": 200, "missing": 404, "send": 202}
    for answer in (response.get_response_by_id(request_id) for request_id in ("create", "drafts", "missing")):
        assert isinstance(answer, BatchResponseItem)
        assert answer.content_type is not None and answer.content_type.startswith("application/json")
        assert answer.headers is not None and answer.headers["request-id"]

    assert await subjects(alice, "drafts") == ["Batched draft"]
    assert await subjects(alice, "sentitems") == ["Venue"]
    assert await subjects(bob, "inbox") == ["Venue"]


async def test_sdk_batch_items_with_the_sdks_absolute_urls_get_graphs_400(server: ServerProcess,
                                                                          sdk: SdkClients) -> None:
    alice = sdk.v1(server.token(ALICE))
    await alice.me.messages.post(Message(subject="First request: the SDK now builds absolute urls"))
    as_built = BatchRequestItem(alice.me.messages.to_get_request_information(), id="as-built")
    assert as_built.url.startswith(server.base_url)
    fixed = item(alice, alice.me.messages.to_get_request_information(), "fixed")
    response = await alice.batch.post(batch_of(as_built, fixed), error_map=ERRORS)
    assert isinstance(response, BatchResponseContent)
    assert response.get_response_status_codes() == {"as-built": 400, "fixed": 200}


async def test_sdk_collection_of_more_than_twenty_requests_goes_in_batches_of_twenty(
        server: ServerProcess, sdk: SdkClients) -> None:
    alice = sdk.v1(server.token(ALICE))
    collection = BatchRequestContentCollection()
    for n in range(25):
        collection.add_batch_request_item(item(alice, alice.me.messages.to_post_request_information(
            Message(subject=f"Note {n:02}")), f"note-{n}"))
    responses = await alice.batch.post(collection, error_map=ERRORS)
    assert isinstance(responses, BatchResponseContentCollection)
    batches = responses.get_responses()
    assert [len(batch.responses or {}) for batch in batches] == [20, 5]  # Graph takes 20 at most
    statuses = {request_id: status for batch in batches for request_id, status in batch.get_response_status_codes().items()}
    assert statuses == {f"note-{n}": 201 for n in range(25)}
    folder = await alice.me.mail_folders.by_mail_folder_id("drafts").get()
    assert folder is not None and folder.total_item_count == 25


async def test_beta_sdk_batch_through_the_batch_request_builder(server: ServerProcess, sdk: SdkClients) -> None:
    beta = sdk.beta(server.token(ALICE))
    inbox = item(beta, beta.me().mail_folders.by_mail_folder_id("inbox").to_get_request_information(), "inbox")
    other = item(beta, beta.users.by_user_id(BOB).messages.to_get_request_information(), "bob")
    response = await BatchRequestBuilder(beta.request_adapter).post(batch_of(inbox, other), error_map=ERRORS)
    assert isinstance(response, BatchResponseContent)
    # A delegated token reaches only its own mailbox, inside a batch as outside.
    assert response.get_response_status_codes() == {"inbox": 200, "bob": 403}
