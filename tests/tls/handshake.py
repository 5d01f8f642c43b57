"""A TLS handshake between two SSLContexts in memory (no sockets): what a client with `client`
would make of a server with `server`, as the stdlib's ssl module (OpenSSL) judges it."""

from __future__ import annotations

import ssl
from pathlib import Path


def client_trusting(ca_file: Path) -> ssl.SSLContext:
    """A client context trusting only `ca_file`, as strict as Python 3.13's default (X509_STRICT)."""
    context = ssl.create_default_context(cafile=str(ca_file))
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    return context


def handshake(server: ssl.SSLContext, client: ssl.SSLContext, server_hostname: str) -> ssl.SSLObject:
    """The client's side after a completed handshake; raises the client's or the server's ssl error."""
    client_in, client_out, server_in, server_out = (ssl.MemoryBIO() for _ in range(4))
    client_side = client.wrap_bio(client_in, client_out, server_hostname=server_hostname)
    server_side = server.wrap_bio(server_in, server_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(20):   # a TLS 1.3 handshake takes two round trips; bounded in case it never ends
        for name, side in (("client", client_side), ("server", server_side)):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        server_in.write(client_out.read())
        client_in.write(server_out.read())
        if all(done.values()):
            return client_side
    raise AssertionError("the handshake did not finish")
