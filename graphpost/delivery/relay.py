"""The SMTP client side of delivery: hand one message to the smart host and report, for each
recipient, accepted, temporarily refused (retry) or permanently refused (bounce)."""

from __future__ import annotations

import ssl
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import AsyncIterator

import aiosmtplib

from graphpost.config import Settings


@dataclass
class RelayOutcome:
    accepted: list[str] = field(default_factory=list)
    temporary: dict[str, str] = field(default_factory=dict)   # recipient -> the relay's answer
    permanent: dict[str, str] = field(default_factory=dict)


def _reply(code: int, message: str) -> str:
    return f"{code} {message}".strip()


class Relay:
    def __init__(self, settings: Settings) -> None:
        if not settings.relay_host:
            raise ValueError("no relay_host configured")
        self.settings = settings

    def _tls_context(self) -> ssl.SSLContext | None:
        if self.settings.relay_tls == "none":
            return None
        context = ssl.create_default_context(cafile=str(self.settings.relay_ca_file)
                                             if self.settings.relay_ca_file else None)
        if not self.settings.relay_verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.relay_host, port=s.relay_port, timeout=s.relay_timeout.total_seconds(),
            use_tls=s.relay_tls == "tls", start_tls=s.relay_tls == "starttls",
            tls_context=self._tls_context(), username=s.relay_username, password=s.relay_password)

    async def send(self, sender: str, recipients: list[str], message: bytes) -> RelayOutcome:
        """One message on a connection of its own."""
        async with self.session() as session:
            return await session.send(sender, recipients, message)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[RelaySession]:
        """A connection kept open for several messages (opened at the first, reopened after trouble)."""
        session = RelaySession(self)
        try:
            yield session
        finally:
            await session.close()


class RelaySession:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self._smtp: aiosmtplib.SMTP | None = None
        self.connections = 0   # how many times it had to connect (for the logs and tests)

    async def close(self) -> None:
        if self._smtp is not None and self._smtp.is_connected:
            try:
                await self._smtp.quit()
            except (aiosmtplib.SMTPException, OSError):
                self._smtp.close()
        self._smtp = None

    async def send(self, sender: str, recipients: list[str], message: bytes) -> RelayOutcome:
        """One SMTP transaction. Connection trouble and 4xx answers are temporary for every
        recipient; a 5xx to MAIL or DATA is permanent for all; RCPT answers count per recipient."""
        outcome = RelayOutcome()
        refused: dict[str, tuple[int, str]]
        try:
            if self._smtp is None or not self._smtp.is_connected:
                self._smtp = self.relay._client()
                await self._smtp.connect()
                self.connections += 1
            errors, _ = await self._smtp.sendmail(sender, recipients, message)
            refused = {address: (reply.code, reply.message) for address, reply in errors.items()}
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = {error.recipient: (error.code, error.message) for error in exc.recipients}
        except aiosmtplib.SMTPResponseException as exc:
            await self.close()  # start the next message on a clean connection
            bucket = outcome.permanent if 500 <= exc.code < 600 else outcome.temporary
            bucket.update({address: _reply(exc.code, exc.message) for address in recipients})
            return outcome
        except (aiosmtplib.SMTPException, OSError) as exc:
            await self.close()
            settings = self.relay.settings
            outcome.temporary.update({address: f"connection to {settings.relay_host}:{settings.relay_port} "
                                                f"failed: {exc}" for address in recipients})
            return outcome
        for address in recipients:
            if address in refused:
                code, text = refused[address]
                (outcome.permanent if 500 <= code < 600 else outcome.temporary)[address] = _reply(code, text)
            else:
                outcome.accepted.append(address)
        return outcome
