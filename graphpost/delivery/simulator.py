"""The simulated mail server of the simulator's domain (mail/simulator.py): it answers each
recipient as a real remote server would answer the relay, by the address's local part, and the
worker records its answers exactly as it records the relay's (delivery/worker.py): the same
retry schedule, outbox states and non-delivery reports. Nothing is sent over the network.

| address  | answer                                                                  |
|----------|-------------------------------------------------------------------------|
| success@ | 250: delivered                                                          |
| bounce@  | 550 5.1.1: failed, a non-delivery report in the sender's Inbox          |
| defer@   | 451 4.4.0 to its first three attempts, then 250                         |
| slow@    | 250 after `simulator_slow_delay` (the event loop and other mail go on)  |
| ooto@    | 250, then an automatic reply into the sender's Inbox                    |
| full@    | 552 5.2.2 mailbox full: failed, a non-delivery report                   |
| other    | 550 5.1.1, as bounce@: the simulator has no such mailbox                |

Deterministic: the answer depends on the address and, for defer@, on the entry's attempts so far
(kept in the outbox), never on chance or on the worker's memory."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from graphpost.delivery.relay import RelayOutcome
from graphpost.mail.simulator import SIMULATOR_DOMAIN
from graphpost.store.outbox import ClaimedEntry

SUCCESS, BOUNCE, DEFER, SLOW, OOTO, FULL = "success", "bounce", "defer", "slow", "ooto", "full"
DEFERRALS = 3   # defer@'s 4xx answers before it accepts

# Postfix's words for a mailbox that does not exist, with RFC 3463's 5.1.1 (bad destination mailbox).
UNKNOWN_USER = "550 5.1.1 <{}>: Recipient address rejected: User unknown (graphpost simulator)"
# RFC 3463 4.4.0: a routing or network trouble, temporary; Exchange Online defers with 451 4.4.0 too.
DEFERRED = "451 4.4.0 Temporary failure, try again later (graphpost simulator: attempt {} of {} deferred)"
# RFC 3463 5.2.2, mailbox full; 552 as RFC 5321 §4.2.2 gives it, "exceeded storage allocation".
MAILBOX_FULL = "552 5.2.2 <{}>: Mailbox full (graphpost simulator)"


@dataclass
class SimulatedOutcome:
    """The simulator's answer for one message: per recipient as the relay answers, and the
    automatic replies it sends back once delivered (by the recipient who sends it)."""
    outcome: RelayOutcome = field(default_factory=RelayOutcome)
    auto_replies: list[str] = field(default_factory=list)


def local_part(address: str) -> str:
    return address.rpartition("@")[0].lower()


class SimulatedServer:
    """The answers of the simulator's domain; slow@ waits `slow_delay` (`simulator_slow_delay`)."""

    def __init__(self, slow_delay: timedelta) -> None:
        self.slow_delay = slow_delay

    async def send(self, entries: list[ClaimedEntry]) -> SimulatedOutcome:
        """One message to these recipients (all of the simulator's domain). slow@ holds the
        whole transaction, as a slow server holds its answer to DATA; the wait is asyncio's, so
        the event loop and every other delivery go on meanwhile."""
        found = SimulatedOutcome()
        if any(local_part(entry.recipient) == SLOW for entry in entries):
            await self.hold()
        for entry in entries:
            address, name = entry.recipient, local_part(entry.recipient)
            if name in (SUCCESS, SLOW, OOTO):
                found.outcome.accepted.append(address)
                if name == OOTO:
                    found.auto_replies.append(address)
            elif name == DEFER and entry.attempts < DEFERRALS:
                found.outcome.temporary[address] = DEFERRED.format(entry.attempts + 1, DEFERRALS)
            elif name == DEFER:
                found.outcome.accepted.append(address)
            elif name == FULL:
                found.outcome.permanent[address] = MAILBOX_FULL.format(address)
            else:
                found.outcome.permanent[address] = UNKNOWN_USER.format(address)
        return found


    async def hold(self) -> None:
        """slow@'s wait before the answer."""
        await asyncio.sleep(self.slow_delay.total_seconds())


def automatic_reply(replier: str, sender: str, message: dict[str, Any], at: datetime) -> bytes:
    """The out-of-office reply `replier` sends to `sender` for `message` (Graph properties of the
    message as sent), shaped as Exchange Online's: subject "Automatic reply: …", in reply to the
    original, RFC 3834's `Auto-Submitted: auto-replied`, and the headers Exchange adds to stop
    loops: `X-Auto-Response-Suppress: All` (MS-OXCMAIL 2.1.3.2.20: no auto-reply to this one) and
    `X-MS-Exchange-Inbox-Rules-Loop` naming the mailbox that replied."""
    subject = str(message.get("subject") or "")
    reply = EmailMessage()
    reply["From"] = Address("Out of Office (graphpost simulator)", addr_spec=replier)  # quoted: () is a comment
    reply["To"] = sender
    reply["Subject"] = f"Automatic reply: {subject}"
    reply["Date"] = format_datetime(at)
    reply["Message-ID"] = make_msgid(domain=SIMULATOR_DOMAIN)
    original_id = message.get("internetMessageId")
    if original_id:
        reply["In-Reply-To"] = original_id
        reply["References"] = " ".join([*(message.get("references") or ()), original_id])
    reply["Thread-Topic"] = subject
    reply["Auto-Submitted"] = "auto-replied"
    reply["X-Auto-Response-Suppress"] = "All"
    reply["X-MS-Exchange-Inbox-Rules-Loop"] = replier
    reply.set_content("I am out of the office and will reply when I am back.\n\n"
                      f"This automatic reply comes from {replier}, an address of graphpost's mail simulator.\n")
    return reply.as_bytes()
