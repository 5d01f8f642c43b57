"""With a relay configured, a recipient in an accepted domain that is no user never reaches the
smart host: the sender gets a non-delivery report at once, the relay gets the others."""

from __future__ import annotations

from graphpost.delivery.worker import DeliveryWorker
from tests.api.mail_helpers import BOB, Mailbox, recipients
from tests.delivery.conftest import SmtpRelay

NOBODY = "nobody@contoso.test"
ERIN = "erin@example.org"


async def test_nobody_in_our_domain_is_reported_and_never_relayed(alice: Mailbox, bob: Mailbox,
                                                                  smtp_relay: SmtpRelay,
                                                                  delivery_worker: DeliveryWorker) -> None:
    response = await alice.send_mail({"subject": "Roll call", "toRecipients": recipients(BOB, NOBODY, ERIN)})
    assert response.status_code == 202, response.text
    [report] = await alice.messages_in("inbox")
    assert report["subject"] == "Undeliverable: Roll call"
    assert await bob.counts("inbox") == (1, 1)

    assert await delivery_worker.run_once() == 1
    [relayed] = smtp_relay.messages
    assert relayed.rcpt_tos == [ERIN]
    assert await delivery_worker.run_once() == 0
    assert len(smtp_relay.messages) == 1
    assert await alice.counts("inbox") == (1, 1)
