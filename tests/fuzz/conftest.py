"""The fuzz suite's Hypothesis profiles and what every fuzz test shares: a seeded mailbox on each
backend, and the check that a request left the store as it was.

The "ci" profile (the default) is derandomized, so a run explores the same examples every time and
a failure in CI is the failure on a developer's machine; its example counts keep the whole suite
near two minutes on two cores, both backends. `HYPOTHESIS_PROFILE=deep` explores many more
examples, with a fresh random seed each run, for a hunt by hand."""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from graphpost.store.database import Database
from graphpost.store.schema import metadata
from tests.api.mail_helpers import Mailbox

# One database per test function serves all its examples: a fresh one per example would cost
# more than the examples themselves, and what each example leaves is what the next one meets.
_SHARED = dict(deadline=None, database=None, print_blob=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                      HealthCheck.data_too_large, HealthCheck.filter_too_much])
settings.register_profile("ci", derandomize=True, max_examples=40, **_SHARED)
settings.register_profile("deep", max_examples=1000, **_SHARED)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
_SCALE = 25 if settings.default.max_examples > 40 else 1


def examples(count: int) -> settings:
    """A test's own example count in the "ci" profile (cheap tests run more), scaled up in "deep"."""
    return settings(max_examples=count * _SCALE)

# What a request that was refused must not have changed.
WRITTEN_TABLES = ("folders", "messages", "submissions", "outbox", "blobs", "blob_chunks", "attachments",
                  "submission_attachments", "upload_sessions")


async def row_counts(db: Database) -> dict[str, int]:
    tables = {table.name: table for table in metadata.sorted_tables}
    async with db.read() as conn:
        return {name: int((await conn.execute(sa.select(sa.func.count()).select_from(tables[name]))).scalar_one())
                for name in WRITTEN_TABLES}


def assert_graph_answer(response: httpx.Response) -> None:
    """No 5xx; every 4xx in Graph's envelope."""
    assert response.status_code < 500, (response.request.method, str(response.request.url)[:2000],
                                        response.text[:2000])
    if response.status_code >= 400:
        assert_envelope(response.status_code, response.json(), dict(response.headers))


def assert_envelope(status: int, body: Any, headers: dict[str, str]) -> None:
    assert 400 <= status < 500, (status, body)
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert isinstance(error.get("code"), str) and error["code"], error
    assert isinstance(error.get("message"), str) and error["message"], error
    inner = error["innerError"]
    assert set(inner) >= {"date", "request-id", "client-request-id"}, inner
    lowered = {name.lower(): value for name, value in headers.items()}
    assert inner["request-id"] == lowered["request-id"], (inner, headers)


async def refused_cleanly(db: Database, before: dict[str, int], response: httpx.Response) -> None:
    """A refused write is a Graph 4xx that wrote nothing."""
    assert_graph_answer(response)
    if response.status_code >= 400:
        assert await row_counts(db) == before, (response.request.method, str(response.request.url)[:500],
                                                response.text[:500])


@pytest.fixture
async def draft_id(alice: Mailbox) -> str:
    created = await alice.create_draft(subject="fuzz", toRecipients=[{"emailAddress": {"address": "bob@contoso.test"}}])
    return str(created["id"])
