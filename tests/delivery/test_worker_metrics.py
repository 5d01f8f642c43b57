"""What the delivery worker adds to /metrics: attempts by outcome (counted by the worker) and the
outbox's depth by state (read from the database at the scrape)."""

from __future__ import annotations

import httpx

from graphpost.delivery.worker import DeliveryWorker
from tests.api.mail_helpers import Mailbox, recipients
from tests.api.test_health import scrape
from tests.delivery.conftest import SmtpRelay

ERIN, FRANK, GUS = "erin@example.org", "frank@example.net", "gus@example.com"


def attempts(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], outcome: str) -> float:
    return found.get(("graphpost_delivery_attempts_total", (("outcome", outcome),)), 0.0)


def outbox(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], state: str) -> float:
    return found[("graphpost_outbox_entries", (("state", state),))]


async def test_attempts_are_counted_by_outcome_and_the_outbox_by_state(
        client: httpx.AsyncClient, alice: Mailbox, smtp_relay: SmtpRelay, delivery_worker: DeliveryWorker) -> None:
    before = await scrape(client)
    smtp_relay.refuse(FRANK, "550 5.1.1 User unknown")
    response = await alice.send_mail({"subject": "one", "toRecipients": recipients(ERIN, FRANK)})
    assert response.status_code == 202
    queued = await scrape(client)
    assert (outbox(queued, "queued"), outbox(queued, "delivered"), outbox(queued, "failed")) == (2, 0, 0)

    assert await delivery_worker.run_once() == 2
    smtp_relay.answer_data("451 4.3.0 Try later")
    assert (await alice.send_mail({"subject": "two", "toRecipients": recipients(GUS)})).status_code == 202
    assert await delivery_worker.run_once() == 1
    after = await scrape(client)
    assert {outcome: attempts(after, outcome) - attempts(before, outcome)
            for outcome in ("delivered", "deferred", "failed")} == {"delivered": 1, "deferred": 1, "failed": 1}
    assert {state: outbox(after, state) for state in ("queued", "deferred", "delivered", "failed", "captured")} == {
        "queued": 0, "deferred": 1, "delivered": 1, "failed": 1, "captured": 0}
