"""uvicorn's server with the proxy beside it, in the same event loop."""

from __future__ import annotations

import asyncio
import socket
import ssl

import uvicorn

from graphpost.proxy.listener import ProxyLimits, ProxyListener


class ServerWithProxy(uvicorn.Server):
    """The proxy starts once the app has started, and hands each tunnel's decrypted connection
    to an HTTP protocol made exactly as uvicorn makes one for its own socket (see
    uvicorn.Server.startup's create_protocol): the same app, state and set of connections, so
    that shutting down finishes the tunnels' requests as it finishes the others'."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket, context: ssl.SSLContext,
                 limits: ProxyLimits) -> None:
        super().__init__(config)
        self.proxy = ProxyListener(sock, context, self._http_protocol, limits)

    def _http_protocol(self) -> asyncio.Protocol:
        return self.config.http_protocol_class(  # type: ignore[call-arg]
            config=self.config, server_state=self.server_state, app_state=self.lifespan.state)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            await self.proxy.start()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.proxy.close()
        await super().shutdown(sockets)
