"""A counting SMTP sink for bench/delivery.py when Postfix's `smtp-sink` is not installed (CI):
accepts every message (aiosmtpd, a graphpost dependency already) and prints its running count
as `smtp-sink -c` does (`mesg=N`, one line per message), so the driver reads either the same way.

    .venv/bin/python bench/smtp_sink.py 127.0.0.1:PORT

It costs more CPU per message than smtp-sink (Python against C): figures meant to be compared
with Postfix's use smtp-sink for both systems. Stops on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from typing import Any

from aiosmtpd.smtp import SMTP


class Counting:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        sys.stdout.write(f"mesg={self.count}\n")
        sys.stdout.flush()
        return "250 2.0.0 Ok: queued"


async def serve(host: str, port: int) -> None:
    handler = Counting()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="sink.bench.test"), host, port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Accept every SMTP message and print its running count "
                                                 "(mesg=N), as Postfix's smtp-sink -c does.")
    parser.add_argument("address", metavar="HOST:PORT", help="where to listen, e.g. 127.0.0.1:2525")
    args = parser.parse_args()
    host, _, port = args.address.rpartition(":")
    if not host or not port.isdigit():
        parser.error(f"{args.address!r} is not HOST:PORT")
    asyncio.run(serve(host, int(port)))

if __name__ == "__main__":
    main()
