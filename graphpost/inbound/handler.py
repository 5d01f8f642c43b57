"""The aiosmtpd handler: RCPT checks each recipient against the directory, DATA delivers."""

from __future__ import annotations

import logging
from typing import Any

from graphpost.errors import GraphError
from graphpost.mail import receive
from graphpost.mail.receive import Recipient
from graphpost.store.database import Database

log = logging.getLogger("graphpost.inbound")


class InboundHandler:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        kind = await receive.classify(self.db, address)
        if kind is Recipient.FOREIGN:
            # Not one of our domains: refuse, or graphpost would be an open relay.
            return "554 5.7.1 Relay access denied"
        if kind is Recipient.UNKNOWN_USER:
            return "550 5.1.1 User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        try:
            delivered = await receive.deliver(self.db, envelope.original_content or envelope.content,
                                              envelope.rcpt_tos)
        except GraphError as exc:
            log.warning("refused a message from %s: %s", envelope.mail_from, exc.message)
            return "554 5.6.0 Message content rejected"
        log.info("received a message from %s for %s (%d copies)", envelope.mail_from,
                 ", ".join(envelope.rcpt_tos), delivered)
        return "250 OK: queued"
