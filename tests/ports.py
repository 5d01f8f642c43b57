"""Local TCP ports for the servers tests start: a free one, and waiting until one listens."""

from __future__ import annotations

import asyncio
import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def wait_for_listener(port: int, host: str = "127.0.0.1", attempts: int = 100) -> None:
    """Return once something accepts connections on the port; fail the test if nothing does."""
    for _ in range(attempts):
        try:
            _, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.02)
            continue
        writer.close()
        return
    raise AssertionError(f"nothing listens on {host}:{port}")
