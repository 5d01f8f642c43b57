"""The inbound SMTP listener, run inside graphpost's event loop (not in a thread of its own, as
aiosmtpd's Controller would: the store's connections belong to this loop)."""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.smtp import SMTP

from graphpost.inbound.handler import InboundHandler
from graphpost.store.database import Database

log = logging.getLogger("graphpost.inbound")


class InboundListener:
    def __init__(self, db: Database, host: str, port: int, max_size: int) -> None:
        self.handler = InboundHandler(db)
        self.host = host
        self.port = port
        # aiosmtpd answers 552 by itself to a message over this size.
        self.max_size = max_size

    async def run(self, stopping: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(self.handler, data_size_limit=self.max_size, hostname="graphpost", ident="graphpost ESMTP"),
            self.host, self.port)
        log.info("inbound SMTP listening on %s:%d", self.host, self.port)
        try:
            await stopping.wait()
        finally:
            server.close()
            await server.wait_closed()
