"""The proxy's listener, inside graphpost's event loop: reads each connection's CONNECT head
(bounded in size and time), answers it (graphpost/proxy/connect.py), and for an accepted tunnel
terminates TLS on the same connection (`loop.start_tls`, server side) and hands the decrypted
stream to an HTTP protocol of the API server. The API's uvicorn protocol then serves it as it
serves its own port, and since the transport it gets is a TLS one and the client's Host is the
cloud's host name, its requests' URLs are `https://graph.microsoft.com/…`: @odata.context,
@odata.nextLink and upload URLs name the host the client asked for.

No byte is ever forwarded anywhere: every tunnel ends inside graphpost."""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass
from typing import Any, Callable

from graphpost.proxy.connect import (
    BUSY,
    EARLY_DATA,
    ESTABLISHED,
    MAX_HEAD,
    TIMED_OUT,
    TOO_LARGE,
    Refusal,
    Tunnel,
    decide,
    head_length,
)

log = logging.getLogger("graphpost.proxy")

# Makes the protocol that serves one decrypted connection (uvicorn's, in graphpost.server).
HttpProtocolFactory = Callable[[], asyncio.Protocol]


@dataclass(frozen=True)
class ProxyLimits:
    # Seconds for the CONNECT head, again for the TLS handshake, and for the first request.
    head_timeout: float = 10.0
    max_connections: int = 1024    # connections open at once: heads being read, handshakes, tunnels


class ProxyListener:
    """Accepts on `sock` until closed. Every connection counts against `max_connections` from its
    accept until it closes, tunnel included, so no client can hold more than that many sockets."""

    def __init__(self, sock: Any, context: ssl.SSLContext, http_protocol: HttpProtocolFactory,
                 limits: ProxyLimits = ProxyLimits()) -> None:
        self._sock = sock
        self.context = context
        self.http_protocol = http_protocol
        self.limits = limits
        self.open = 0
        self.heads: set[_ConnectHead] = set()   # connections still sending their head
        self._handshakes: set[asyncio.Task[None]] = set()
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _ConnectHead(self), sock=self._sock)

    def close(self) -> None:
        """Stop accepting, drop connections still sending their head or handshake. Open tunnels are
        the HTTP server's connections by now: it finishes their requests as it shuts down."""
        if self._server is not None:
            self._server.close()
        for head in list(self.heads):
            head.abort()
        for task in list(self._handshakes):
            task.cancel()

    def release(self) -> None:
        self.open -= 1

    def open_tunnel(self, transport: asyncio.Transport, tunnel: Tunnel, peer: str) -> None:
        task = asyncio.get_running_loop().create_task(self._handshake(transport, tunnel, peer))
        self._handshakes.add(task)
        task.add_done_callback(self._handshakes.discard)

    async def _handshake(self, transport: asyncio.Transport, tunnel: Tunnel, peer: str) -> None:
        decrypted = _DecryptedTunnel(self.http_protocol, self.release, self.limits.head_timeout)
        try:
            tls = await asyncio.get_running_loop().start_tls(
                transport, decrypted, self.context, server_side=True, ssl_handshake_timeout=self.limits.head_timeout)
        except (OSError, ssl.SSLError, TimeoutError, ConnectionError) as exc:
            # start_tls closed the connection. A client that does not trust graphpost's CA ends here.
            log.warning("proxy: TLS handshake for %s with %s failed: %s", tunnel.host, peer, exc)
            decrypted.release()
            return
        except asyncio.CancelledError:
            transport.abort()
            decrypted.release()
            raise
        if tls is None:            # the connection closed during the handshake
            decrypted.release()
            return
        log.debug("proxy: tunnel to %s for %s", tunnel.host, peer)
        decrypted.connection_made(tls)


class _ConnectHead(asyncio.Protocol):
    """One proxy connection until its CONNECT head is answered."""

    def __init__(self, listener: ProxyListener) -> None:
        self.listener = listener
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.counted = False
        self.peer = "?"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "?"
        self.listener.open += 1
        self.counted = True
        self.listener.heads.add(self)
        if self.listener.open > self.listener.limits.max_connections:
            self._refuse(BUSY)
            return
        self.timer = asyncio.get_running_loop().call_later(self.listener.limits.head_timeout, self._timed_out)

    def data_received(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.buffer += data
        length = head_length(self.buffer)
        if length is None:
            if len(self.buffer) > MAX_HEAD:
                self._refuse(TOO_LARGE)
            return
        if length > MAX_HEAD:
            self._refuse(TOO_LARGE)
            return
        decision = decide(self.buffer[:length])
        if isinstance(decision, Refusal):
            self._refuse(decision)
            return
        if len(self.buffer) > length:
            # A client that sends its TLS hello before our 200: those bytes would be lost to the
            # handshake, so say so rather than hang.
            self._refuse(EARLY_DATA)
            return
        self._stop_timer()
        self.listener.heads.discard(self)
        self.transport.pause_reading()
        self.transport.write(ESTABLISHED)
        # From here the connection is the tunnel's: it, not this protocol, releases the count.
        self.counted = False
        self.listener.open_tunnel(self.transport, decision, self.peer)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        self.listener.heads.discard(self)
        if self.counted:
            self.counted = False
            self.listener.release()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _timed_out(self) -> None:
        self.timer = None
        self._refuse(TIMED_OUT)

    def _refuse(self, refusal: Refusal) -> None:
        self._stop_timer()
        log.warning("proxy refused %s: %s %s", self.peer, refusal.status, refusal.message)
        assert self.transport is not None
        self.transport.write(refusal.response())
        self.transport.close()

    def _stop_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


class _DecryptedTunnel(asyncio.Protocol):
    """The protocol on the TLS side of a tunnel: passes everything to the HTTP protocol made for
    it, and gives its place back to the listener's count when the connection ends.

    asyncio's TLS transport may deliver the first decrypted bytes (a TLS 1.3 client sends its
    request right after its Finished) before `start_tls` has returned to us, and reports a
    connection's loss even when the handshake failed: bytes are kept until the HTTP protocol
    exists, and it hears of the loss only if it heard of the connection."""

    def __init__(self, http_protocol: HttpProtocolFactory, released: Callable[[], None],
                 first_request_timeout: float) -> None:
        self._make = http_protocol
        self._released = released
        self._first_request_timeout = first_request_timeout
        self._waiting: asyncio.TimerHandle | None = None
        self._http: asyncio.Protocol | None = None
        self._early: list[bytes] = []
        self._early_eof = False
        self._lost = False
        self._counted = True

    def release(self) -> None:
        if self._counted:
            self._counted = False
            self._released()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._lost:
            return
        self._http = self._make()
        self._http.connection_made(transport)
        if not self._early:
            # uvicorn times out a connection only between requests (keep-alive), not before the
            # first: a tunnel that stays silent would hold its place in the count for ever.
            self._waiting = asyncio.get_running_loop().call_later(self._first_request_timeout, transport.close)
        for chunk in self._early:
            self._http.data_received(chunk)
        self._early.clear()
        if self._early_eof and not self._http.eof_received():
            transport.close()

    def data_received(self, data: bytes) -> None:
        if self._http is not None:
            self._stop_waiting()
            self._http.data_received(data)
        else:
            self._early.append(data)

    def _stop_waiting(self) -> None:
        if self._waiting is not None:
            self._waiting.cancel()
            self._waiting = None

    def eof_received(self) -> bool | None:
        if self._http is None:
            self._early_eof = True
            return True      # keep the transport open until the HTTP protocol has had the bytes
        return self._http.eof_received()

    def pause_writing(self) -> None:
        if self._http is not None:
            self._http.pause_writing()

    def resume_writing(self) -> None:
        if self._http is not None:
            self._http.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._stop_waiting()
        if self._http is not None:
            self._http.connection_lost(exc)
        self.release()
