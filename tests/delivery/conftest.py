"""Delivery fixtures: a real SMTP server (aiosmtpd) standing in for the smart host, scriptable per
test, the app built with relay settings pointing at it, and a delivery worker whose rounds the
tests run themselves (`await delivery_worker.run_once()`)."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from typing import Any, AsyncIterator, Iterator

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from graphpost.config import Settings
from graphpost.delivery.relay import Relay
from graphpost.delivery.retry import RetrySchedule
from graphpost.delivery.worker import DeliveryWorker
from graphpost.store.database import Database
from tests.api.mail_helpers import parse_mime
from tests.ports import free_port

# Short enough that a deferred entry is due again almost at once; tests still never sleep on it
# (they move next_attempt_at into the past).
RETRY_FIRST = timedelta(seconds=0.2)


@dataclass(frozen=True)
class Relayed:
    """One message the relay accepted: the envelope, the bytes after DATA, and the client's
    address (one per connection)."""
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    peer: Any

    @property
    def mime(self) -> EmailMessage:
        return parse_mime(self.content)


@dataclass
class RelayHandler:
    """aiosmtpd hooks. They run in the controller's thread: the scripts are set by the test
    before a round and only read (or popped) here."""
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_replies: list[str] = field(default_factory=list)
    messages: list[Relayed] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    data_hold: float = 0.0   # seconds each DATA is held before its answer (a slow smart host)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        reply = self.rcpt_replies.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_hold:
            await asyncio.sleep(self.data_hold)
        with self.lock:
            reply = self.data_replies.pop(0) if self.data_replies else "250 OK"
            if reply.startswith("2"):
                assert isinstance(envelope.content, bytes)
                self.messages.append(Relayed(str(envelope.mail_from), list(envelope.rcpt_tos),
                                             envelope.content, session.peer))
        return reply


class SmtpRelay:
    """A real SMTP server on 127.0.0.1 that records what it accepts. Per test, it can refuse
    some recipients at RCPT (`refuse`), answer DATA from a list of replies in turn (`answer_data`)
    or slowly (`hold_data`), or go down for a while (`stop`, then `start` again on the same port)."""

    host = "127.0.0.1"

    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = RelayHandler()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[Relayed]:
        return list(self.handler.messages)

    def refuse(self, address: str, reply: str = "550 5.1.1 User unknown") -> None:
        self.handler.rcpt_replies[address.lower()] = reply

    def answer_data(self, *replies: str) -> None:
        """DATA is answered with these, in turn, then with 250."""
        self.handler.data_replies.extend(replies)

    def hold_data(self, seconds: float) -> None:
        """Answer each DATA only after this long, as a slow smart host does."""
        self.handler.data_hold = seconds

    def start(self) -> None:
        # A stopped controller has closed its loop: coming back up takes a new one.
        assert self._controller is None, "the relay is already up"
        controller = Controller(self.handler, hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        assert self._controller is not None, "the relay is already down"
        self._controller.stop()
        self._controller = None


@pytest.fixture
def smtp_relay() -> Iterator[SmtpRelay]:
    relay = SmtpRelay(free_port())
    relay.start()
    yield relay
    if relay._controller is not None:
        relay.stop()


@pytest.fixture
def relay_settings(settings: Settings, smtp_relay: SmtpRelay) -> Settings:
    return settings.model_copy(update={
        "relay_host": smtp_relay.host, "relay_port": smtp_relay.port, "relay_tls": "none",
        "relay_timeout": timedelta(seconds=10)})


@pytest.fixture
async def client(relay_settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The in-process app with a relay configured: external recipients are queued, not captured."""
    from graphpost.api.app import create_app
    app = create_app(relay_settings, db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://graph.test") as http:
        yield http


def make_worker(db: Database, relay_settings: Settings, **options: Any) -> DeliveryWorker:
    schedule = RetrySchedule(first=RETRY_FIRST, maximum=timedelta(seconds=1))
    return DeliveryWorker(db, Relay(relay_settings), schedule, **options)


@pytest.fixture
def delivery_worker(db: Database, relay_settings: Settings) -> DeliveryWorker:
    return make_worker(db, relay_settings)
