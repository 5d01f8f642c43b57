"""OData queries on messages end to end, as real clients write them, against a running
`graphpost serve` on SQLite and on PostgreSQL: msgraph-sdk's request configuration ($filter,
$select, $orderby, $top, $count, $search) with msgraph-core's PageIterator following the
@odata.nextLink pages while mail keeps arriving, and O365's query builder (contains, an isRead
filter, order_by, select, search) with its own pagination."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, AsyncIterator, Iterator

import httpx
import pytest
from kiota_abstractions.api_error import APIError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.models.message import Message
from msgraph.generated.users.item.mail_folders.item.messages.messages_request_builder import \
    MessagesRequestBuilder as FolderMessagesRequestBuilder
from msgraph.generated.users.item.messages.item.message_item_request_builder import MessageItemRequestBuilder
from msgraph.generated.users.item.messages.messages_request_builder import MessagesRequestBuilder
from msgraph_core.tasks.page_iterator import PageIterator
from requests import HTTPError

from tests.e2e.conftest import SdkClients
from tests.e2e.o365_client import o365_account
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e

ALICE, BOB = "alice@contoso.test", "bob@contoso.test"
Query = MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters


class Graph:
    """Plain HTTP as one user, to put mail in place and read it back without a client library."""

    def __init__(self, client: httpx.Client, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def send(self, subject: str, to: str, **extra: Any) -> None:
        response = self.client.post("/v1.0/me/sendMail", headers=self.headers, json={"message": {
            "subject": subject, "toRecipients": [{"emailAddress": {"address": to}}], **extra}})
        assert response.status_code == 202, response.text

    def messages(self, **params: str) -> list[dict[str, Any]]:
        response = self.client.get("/v1.0/me/messages", headers=self.headers, params={"$top": "100", **params})
        assert response.status_code == 200, response.text
        return response.json()["value"]

    def mark_read(self, message_id: str) -> None:
        response = self.client.patch(f"/v1.0/me/messages/{message_id}", headers=self.headers, json={"isRead": True})
        assert response.status_code == 200, response.text


@pytest.fixture
def mail(server_on_each_backend: ServerProcess) -> Iterator[tuple[ServerProcess, Graph, Graph]]:
    """Bob has sent Alice six invoices and two other messages; she has read invoices 2 and 5."""
    server = server_on_each_backend
    with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
        alice, bob = Graph(client, server.token(ALICE)), Graph(client, server.token(BOB))
        for n in range(1, 7):
            bob.send(f"Invoice {n}", ALICE, importance="high" if n % 3 == 0 else "normal",
                     body={"contentType": "text", "content": f"Amount due: {n}00 EUR"})
        bob.send("Team lunch", ALICE)
        bob.send("Holiday plans", ALICE)
        for message in alice.messages(**{"$filter": "subject eq 'Invoice 2' or subject eq 'Invoice 5'"}):
            alice.mark_read(message["id"])
        yield server, alice, bob


@pytest.fixture
async def sdk(mail: tuple[ServerProcess, Graph, Graph]) -> AsyncIterator[SdkClients]:
    clients = SdkClients(mail[0])
    yield clients
    await clients.aclose()


async def all_pages(client: Any, first: Any) -> list[Message]:
    """Every message of every page, msgraph-core's PageIterator following the next links."""
    found: list[Message] = []
    iterator = PageIterator(first, client.request_adapter)

    def keep(message: Message) -> bool:
        found.append(message)
        return True

    await iterator.iterate(keep)
    return found


async def test_sdk_filters_selects_orders_counts_and_pages_while_mail_arrives(
        mail: tuple[ServerProcess, Graph, Graph], sdk: SdkClients) -> None:
    server, _, bob = mail
    alice = sdk.v1(server.token(ALICE))
    unread_invoices = RequestConfiguration(query_parameters=Query(
        filter="receivedDateTime ge 2000-01-01T00:00:00Z and startswith(subject,'invoice') and isRead eq false",
        select=["subject", "isRead", "receivedDateTime"], orderby=["receivedDateTime desc"], top=2, count=True))
    first = await alice.me.messages.get(request_configuration=unread_invoices)
    assert first is not None and first.odata_count == 4
    assert [message.subject for message in first.value] == ["Invoice 6", "Invoice 4"]
    assert first.odata_next_link and "%24skiptoken=" in first.odata_next_link
    # Mail arriving between pages lands before the first page: the next pages go on after it.
    bob.send("Invoice 7", ALICE)
    every = await all_pages(alice, first)
    assert [message.subject for message in every] == ["Invoice 6", "Invoice 4", "Invoice 3", "Invoice 1"]
    for message in every:
        assert message.is_read is False and message.received_date_time is not None
        assert message.body is None and message.from_ is None and message.importance is None  # not selected

    ordered = await alice.me.messages.get(request_configuration=RequestConfiguration(query_parameters=Query(
        filter="importance eq 'high' and startswith(subject,'Invoice')", orderby=["importance desc", "subject"],
        select=["subject", "importance"])))
    assert ordered is not None
    assert [(m.subject, m.importance.value) for m in ordered.value] == [("Invoice 3", "high"), ("Invoice 6", "high")]


async def test_sdk_queries_a_folder_selects_one_message_and_reads_graphs_errors(
        mail: tuple[ServerProcess, Graph, Graph], sdk: SdkClients) -> None:
    server, _, _ = mail
    alice = sdk.v1(server.token(ALICE))
    inbox = alice.me.mail_folders.by_mail_folder_id("inbox").messages
    page = await inbox.get(request_configuration=RequestConfiguration(
        query_parameters=FolderMessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters(
            filter="contains(subject,'lunch') or contains(subject,'HOLIDAY')", select=["subject"], top=1)))
    assert page is not None
    assert [message.subject for message in await all_pages(alice, page)] == ["Holiday plans", "Team lunch"]

    searched = await alice.me.messages.get(request_configuration=RequestConfiguration(query_parameters=Query(
        search='"body:300"', select=["subject"])))
    assert searched is not None and [message.subject for message in searched.value] == ["Invoice 3"]

    invoice = page.value[0]
    one = await alice.me.messages.by_message_id(invoice.id).get(request_configuration=RequestConfiguration(
        query_parameters=MessageItemRequestBuilder.MessageItemRequestBuilderGetQueryParameters(
            select=["subject", "internetMessageHeaders", "uniqueBody"])))
    assert one is not None and one.subject == "Holiday plans"
    assert one.internet_message_headers == [] and one.unique_body is not None and one.to_recipients is None

    with pytest.raises(APIError) as unknown:
        await alice.me.messages.get(request_configuration=RequestConfiguration(query_parameters=Query(
            filter="isJunk eq false")))
    assert unknown.value.response_status_code == 400
    assert unknown.value.error.code == "RequestBroker--ParseUri"
    assert unknown.value.error.message == "Could not find a property named 'isJunk' on type 'microsoft.graph.message'."
    with pytest.raises(APIError) as inefficient:
        await alice.me.messages.get(request_configuration=RequestConfiguration(query_parameters=Query(
            filter="isRead eq false", orderby=["receivedDateTime desc"])))
    assert inefficient.value.response_status_code == 400 and inefficient.value.error.code == "InefficientFilter"


def test_o365_query_builder_filters_orders_selects_searches_and_pages(
        mail: tuple[ServerProcess, Graph, Graph]) -> None:
    server, _, _ = mail
    mailbox = o365_account(server, ALICE).mailbox()
    q = mailbox.new_query()

    contains = list(mailbox.get_messages(limit=10, query=q.contains("subject", "invoice")))
    assert [message.subject for message in contains] == [f"Invoice {n}" for n in (6, 5, 4, 3, 2, 1)]

    # O365 writes the datetime with its offset; Graph wants the sort property filtered first.
    since = datetime(2000, 1, 1, tzinfo=timezone.utc)
    unread = list(mailbox.get_messages(
        limit=10, order_by="receivedDateTime desc",
        query=q.greater_equal("received_date_time", since) & q.equals("is_read", False) & q.select("subject", "is_read")))
    assert [message.subject for message in unread] == ["Holiday plans", "Team lunch", "Invoice 6", "Invoice 4",
                                                       "Invoice 3", "Invoice 1"]
    assert all(message.is_read is False for message in unread)

    by_subject = list(mailbox.get_messages(limit=3, order_by="subject"))
    assert [message.subject for message in by_subject] == ["Holiday plans", "Invoice 1", "Invoice 2"]

    # A batch smaller than the limit makes O365 follow the @odata.nextLink pages.
    paged = list(mailbox.get_messages(limit=7, batch=2, query=q.equals("isDraft", False)))
    assert [message.subject for message in paged] == ["Holiday plans", "Team lunch"] + [
        f"Invoice {n}" for n in (6, 5, 4, 3, 2)]

    searched = list(mailbox.get_messages(limit=10, query=q.search("lunch")))
    assert [message.subject for message in searched] == ["Team lunch"]

    with pytest.raises(HTTPError) as refused:
        list(mailbox.get_messages(limit=10, query=q.equals("is_read", False), order_by="receivedDateTime desc"))
    assert refused.value.response.status_code == 400
    assert refused.value.response.json()["error"]["code"] == "InefficientFilter"
