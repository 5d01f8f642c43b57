"""The aiosmtpd handler: MAIL refuses an anonymous sender in one of our domains, RCPT checks each
recipient against the directory, DATA delivers. Replies are Exchange's where they are known; no
reply ever names a Python exception (aiosmtpd's default for one that escapes a hook)."""

from __future__ import annotations

import logging
import re
from typing import Any

from graphpost.errors import GraphError, SendAsDenied
from graphpost.mail import receive
from graphpost.mail.bounces import RECIPIENT_NOT_FOUND
from graphpost.mail.receive import Recipient
from graphpost.store.database import Database

log = logging.getLogger("graphpost.inbound")

# Exchange's answer to an anonymous sender using an accepted domain (mail/receive.py).
SEND_AS_DENIED = "550 5.7.1 Client does not have permissions to send as this sender"
CONTENT_REJECTED = "554 5.6.0 Message content rejected"
# Anything else that fails is ours, not the client's: a temporary failure, so that the sender
# tries again later (RFC 5321 §4.2.1); the transaction stored nothing.
LOCAL_ERROR = "451 4.3.0 Local error in processing, try again later"
# aiosmtpd's own answer to an address it cannot parse; it lets control characters through, which
# are in no one's address (and which PostgreSQL cannot even compare).
MALFORMED_ADDRESS = "553 5.1.3 Error: malformed address"
_CONTROL = re.compile("[\x00-\x1f\x7f]")


class InboundHandler:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        if _CONTROL.search(address):
            return MALFORMED_ADDRESS
        if await receive.is_accepted_domain(self.db, address):
            log.warning("refused an anonymous sender in an accepted domain: %s", address)
            return SEND_AS_DENIED
        # A hook that answers takes over aiosmtpd's own bookkeeping of the envelope.
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if _CONTROL.search(address):
            return MALFORMED_ADDRESS
        kind = await receive.classify(self.db, address)
        if kind is Recipient.FOREIGN:
            # Not one of our domains: refuse, or graphpost would be an open relay.
            return "554 5.7.1 Relay access denied"
        if kind is Recipient.UNKNOWN_USER:
            return RECIPIENT_NOT_FOUND
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        try:
            delivered = await receive.deliver(self.db, envelope.original_content or envelope.content,
                                              envelope.rcpt_tos)
        except SendAsDenied:
            log.warning("refused a message from %s with an author in an accepted domain", envelope.mail_from)
            return SEND_AS_DENIED
        except GraphError as exc:
            log.warning("refused a message from %s: %s", envelope.mail_from, exc.message)
            return CONTENT_REJECTED
        log.info("received a message from %s for %s (%d copies)", envelope.mail_from,
                 ", ".join(envelope.rcpt_tos), delivered)
        return "250 OK: queued"

    async def handle_exception(self, error: Exception) -> str:
        log.error("inbound SMTP failed", exc_info=error)
        return LOCAL_ERROR
