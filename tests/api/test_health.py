"""/healthz, /readyz and /metrics: unauthenticated, on the API port, on both backends."""

from __future__ import annotations

from typing import AsyncIterator

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from graphpost.config import Settings
from graphpost.store.database import Database
from graphpost.store.migrate import head_revision
from tests.api.mail_helpers import Mailbox, recipients


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return samples(response.text)


def requests_of(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], route: str, method: str,
                status: str) -> float:
    key = ("graphpost_http_requests_total", (("method", method), ("route", route), ("status", status)))
    return found.get(key, 0.0)


async def test_healthz_answers_without_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert response.headers["request-id"]


async def test_readyz_is_ready_on_a_migrated_store(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready" and body["database"] == "ok"
    assert body["schema"] == body["expectedSchema"] != ""


@pytest.fixture
async def version_restored(db: Database) -> AsyncIterator[None]:
    """The PostgreSQL database is shared by the tests that follow: its schema's version is put back."""
    yield
    async with db.write() as conn:
        await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)"))
        await conn.execute(sa.text("DELETE FROM alembic_version"))
        await conn.execute(sa.text("INSERT INTO alembic_version VALUES (:head)"), {"head": head_revision()})


async def test_readyz_is_not_ready_at_another_schema(client: httpx.AsyncClient, db: Database,
                                                     version_restored: None) -> None:
    async with db.write() as conn:
        await conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "not ready" and response.json()["schema"] == "0001"


async def test_readyz_is_not_ready_without_a_schema(client: httpx.AsyncClient, db: Database,
                                                    version_restored: None) -> None:
    async with db.write() as conn:
        await conn.execute(sa.text("DROP TABLE alembic_version"))
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("unreachable or unusable")


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient, alice: Mailbox) -> None:
    before = await scrape(client)
    for _ in range(2):
        assert (await alice.get("messages?$top=1")).status_code == 200
    message = await alice.create_draft(subject="x", toRecipients=recipients("bob@contoso.test"))
    assert (await alice.get(f"messages/{message['id']}")).status_code == 200
    assert (await client.get("/v1.0/nowhere/at/all")).status_code == 400
    assert (await client.request("BREW", "/healthz")).status_code == 405
    after = await scrape(client)
    assert requests_of(after, "/v1.0/me/messages", "GET", "200") - requests_of(before, "/v1.0/me/messages",
                                                                               "GET", "200") == 2
    template = "/v1.0/me/messages/{message_id}"
    assert requests_of(after, template, "GET", "200") - requests_of(before, template, "GET", "200") == 1
    assert requests_of(after, "unmatched", "GET", "400") - requests_of(before, "unmatched", "GET", "400") == 1
    # Never the raw path or method a client sent: the labels are the app's templates and HTTP's methods.
    assert not any(message["id"] in str(labels) or "BREW" in str(labels) for _, labels in after)
    assert sum(value - before.get(key, 0.0) for key, value in after.items()
               if key[0] == "graphpost_http_requests_total" and ("method", "other") in key[1]) == 1


async def test_metrics_count_sendmail_and_the_outbox_by_state(client: httpx.AsyncClient, alice: Mailbox) -> None:
    before = await scrape(client)
    for _ in range(3):
        response = await alice.send_mail({"subject": "out", "toRecipients": recipients("x@example.org")})
        assert response.status_code == 202
    after = await scrape(client)
    assert after[("graphpost_sendmail_accepted_total", ())] - before.get(("graphpost_sendmail_accepted_total", ()),
                                                                       0.0) == 3
    # No relay is configured: external mail is captured, each counted from the database.
    assert after[("graphpost_outbox_entries", (("state", "captured"),))] == 3
    assert after[("graphpost_outbox_entries", (("state", "queued"),))] == 0
    assert after[("graphpost_notification_backlog", ())] == 0
    assert requests_of(after, "/v1.0/me/sendMail", "POST", "202") - requests_of(before, "/v1.0/me/sendMail",
                                                                                "POST", "202") == 3


@pytest.fixture
async def client_without_metrics(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    from graphpost.api.app import create_app
    app = create_app(settings.model_copy(update={"metrics": False}), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://graph.test") as http:
        yield http


async def test_metrics_can_be_turned_off(client_without_metrics: httpx.AsyncClient) -> None:
    response = await client_without_metrics.get("/metrics")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
    assert (await client_without_metrics.get("/healthz")).status_code == 200
