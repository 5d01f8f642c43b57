"""The database plans of message pages on a mailbox of 100,000 messages, on SQLite (EXPLAIN QUERY
PLAN) and PostgreSQL (EXPLAIN ANALYZE): `$filter=isRead eq false&$top=50` and
`$orderby=receivedDateTime desc&$top=50`, first and next page, in the mailbox and in its Inbox, read
an index in order and stop after the page; none scans the table or sorts the mailbox."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request

from graphpost.api.message_query import message_query
from graphpost.mail.messages import new_draft
from graphpost.odata.query import CollectionQuery
from graphpost.store import bulk, queries
from graphpost.store import directory as directory_rows
from graphpost.store import mailbox as store
from graphpost.store.database import Database
from graphpost.store.schema import messages
from tests.api.mail_helpers import ALICE, Mailbox

MAILBOX_SIZE = 100_000
CHUNK = 10_000
PAGE = 50


@dataclass(frozen=True)
class Mailbox100k:
    user_id: str
    inbox_id: str
    unread: int


def unread(n: int) -> bool:
    return n % 3 == 0


def in_inbox(n: int) -> bool:
    # Most mail in the Inbox, some filed in the Archive: a folder is not the whole mailbox.
    return n % 10 != 7


async def fill(db: Database, size: int, archived: Callable[[int], bool]) -> tuple[str, str]:
    """Alice's mailbox with `size` messages (a third of them unread), in the Inbox or, where
    `archived`, in the Archive, inserted in bulk; then the statistics PostgreSQL plans with.
    Returns her user id and her Inbox's id."""
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    async with db.write() as conn:
        owner = await directory_rows.user_by_upn(conn, ALICE)
        assert owner is not None
        inbox_id = await store.folder_id_of(conn, owner.id, "inbox")
        archive_id = await store.folder_id_of(conn, owner.id, "archive")
        template = new_draft(owner, inbox_id, {"subject": "Bulk"}, start).values()
        for first in range(0, size, CHUNK):
            rows = []
            for n in range(first, min(first + CHUNK, size)):
                at = start + timedelta(seconds=n)
                row = copy.copy(template)
                row.update(id=f"AAMkBULK{n:08d}", immutable_id=f"AAkALgBULK{n:08d}", subject=f"Bulk {n}",
                           folder_id=archive_id if archived(n) else inbox_id, is_read=not unread(n),
                           is_draft=False, created_at=at, modified_at=at, received_at=at, sent_at=at)
                rows.append(row)
            await bulk.insert_rows(conn, messages, rows)
    if db.dialect == "postgresql":
        # The planner works from statistics, which autovacuum gathers after such a load.
        async with db.write() as conn:
            await conn.execute(sa.text("ANALYZE messages"))
    return owner.id, inbox_id


@pytest.fixture
async def big(db: Database) -> Mailbox100k:
    """Alice's mailbox with 100,000 messages, nine in ten in the Inbox, the rest in the Archive."""
    user_id, inbox_id = await fill(db, MAILBOX_SIZE, lambda n: not in_inbox(n))
    return Mailbox100k(user_id, inbox_id, sum(1 for n in range(MAILBOX_SIZE) if unread(n) and in_inbox(n)))


def request_for(path: str, query: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": []})


def statement_sql(conn: AsyncConnection, statement: sa.Select[Any]) -> str:
    return str(statement.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


def pg_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from pg_nodes(child)


async def assert_index_page(conn: AsyncConnection, statement: sa.Select[Any], index: str) -> None:
    sql = statement_sql(conn, statement)
    if conn.dialect.name == "sqlite":
        details = [row[3] for row in (await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")).all()]
        assert any(f"messages USING INDEX {index} " in detail or f"USING COVERING INDEX {index} " in detail
                   for detail in details), details
        # No full scan of the table, and no sort: the index yields the page in order.
        assert not any(detail.startswith("SCAN messages") for detail in details), details
        assert not any("TEMP B-TREE" in detail for detail in details), details
        return
    raw = (await conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")).scalar_one()
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    nodes = list(pg_nodes(plan))
    scans = [node for node in nodes if node.get("Relation Name") == "messages"]
    assert [node["Node Type"] for node in scans] in (["Index Scan"], ["Index Only Scan"]), nodes
    assert scans[0]["Index Name"] == index, scans
    assert not any(node["Node Type"] in ("Sort", "Incremental Sort") for node in nodes), nodes
    # The scan stopped after the page (and the one row that tells another page exists).
    assert scans[0]["Actual Rows"] <= PAGE + 1 and scans[0].get("Rows Removed by Filter", 0) == 0, scans


CASES = [
    ("/v1.0/me/messages", "%24filter=isRead%20eq%20false&%24top=50", "ix_messages_user_id_is_read_received_at_id"),
    ("/v1.0/me/messages", "%24orderby=receivedDateTime%20desc&%24top=50", "ix_messages_user_id_received_at_id"),
    ("/v1.0/me/mailFolders/inbox/messages", "%24filter=isRead%20eq%20false&%24top=50",
     "ix_messages_folder_id_is_read_received_at_id"),
    ("/v1.0/me/mailFolders/inbox/messages", "%24orderby=receivedDateTime%20desc&%24top=50",
     "ix_messages_folder_id_received_at_id"),
]


async def test_pages_of_a_large_mailbox_read_an_index_in_order(big: Mailbox100k, db: Database) -> None:
    for path, query_string, index in CASES:
        query = message_query(request_for(path, query_string))
        folder_id = big.inbox_id if "mailFolders" in path else None
        scope = store.message_scope(big.user_id, folder_id)
        async with db.read() as conn:
            first = await store.message_page(conn, big.user_id, folder_id, query)
            assert len(first.rows) == PAGE and first.next is not None
            await assert_index_page(conn, queries.page_statement(scope, query, conn.dialect.name), index)
            # The next page starts at its keyset: still the index, still no scan from the start.
            following = CollectionQuery(**{**query.__dict__, "after": first.next})
            await assert_index_page(conn, queries.page_statement(scope, following, conn.dialect.name), index)
            second = await store.message_page(conn, big.user_id, folder_id, following)
        expected = [n for n in range(MAILBOX_SIZE - 1, -1, -1)
                    if ("isRead" not in query_string or unread(n)) and (folder_id is None or in_inbox(n))][:2 * PAGE]
        assert [row.subject for row in first.rows + second.rows] == [f"Bulk {n}" for n in expected], path


async def test_the_api_pages_and_counts_a_large_mailbox(big: Mailbox100k, alice: Mailbox,
                                                        client: httpx.AsyncClient) -> None:
    response = await alice.get("mailFolders/inbox/messages",
                               params={"$filter": "isRead eq false", "$top": "50", "$count": "true",
                                       "$select": "subject,isRead"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["@odata.count"] == big.unread
    expected = [f"Bulk {n}" for n in range(MAILBOX_SIZE - 1, -1, -1) if unread(n) and in_inbox(n)]
    assert [message["subject"] for message in body["value"]] == expected[:PAGE]
    following = (await client.get(body["@odata.nextLink"], headers=alice.headers)).json()
    assert [message["subject"] for message in following["value"]] == expected[PAGE:2 * PAGE]


async def test_a_mailbox_with_all_its_mail_in_one_folder_still_pages_by_index(db: Database) -> None:
    """Statistics that say every message is in one folder once made PostgreSQL expect no message
    outside the deletions folder, then scan and sort the whole mailbox for /messages."""
    size = 20_000
    user_id, _ = await fill(db, size, lambda n: False)
    for query_string, index in (("%24orderby=receivedDateTime%20desc&%24top=50", "ix_messages_user_id_received_at_id"),
                                ("%24filter=isRead%20eq%20false&%24top=50",
                                 "ix_messages_user_id_is_read_received_at_id")):
        query = message_query(request_for("/v1.0/me/messages", query_string))
        async with db.read() as conn:
            await assert_index_page(conn, queries.page_statement(store.message_scope(user_id, None), query,
                                                                 conn.dialect.name), index)
            page = await store.message_page(conn, user_id, None, query)
        expected = [n for n in range(size - 1, -1, -1) if "isRead" not in query_string or unread(n)][:PAGE]
        assert [row.subject for row in page.rows] == [f"Bulk {n}" for n in expected]
