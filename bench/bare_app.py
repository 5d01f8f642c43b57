"""The baseline for bench/sendmail.py and bench/read.py: the same server stack as `graphpost serve`,
no graphpost logic.

A FastAPI app with two routes: `POST /bare` reads the request body (so the request costs the same
transfer as a real one) and answers 202 with an empty body (sendmail.py); `GET /bare` answers 200
with a small fixed JSON body, bytes prepared once, so no serialisation per request (read.py). It
is served exactly as
graphpost/cli.py's `serve` does: one process, a socket created, bound and listening here (created
the same way, so the same TCP options) and handed to uvicorn,
`log_config=None`, `access_log=False`, `lifespan="on"`, the same uvicorn defaults otherwise
(loop and HTTP implementation are whatever uvicorn picks in this venv, as for graphpost).

    .venv/bin/python bench/bare_app.py [--host 127.0.0.1] [--port 0]

prints `bare listening on http://HOST:PORT` once it is bound.
"""

from __future__ import annotations

import argparse
import socket
import sys

import uvicorn
from fastapi import FastAPI, Request, Response

app = FastAPI(title="bare", docs_url=None, redoc_url=None, openapi_url=None)


# What GET /bare answers: a small collection, always the same bytes.
BARE_JSON = b'{"@odata.context":"bare","value":[{"id":"bare","subject":"bare"}]}'


@app.post("/bare", status_code=202)
async def bare(request: Request) -> Response:
    await request.body()
    return Response(status_code=202)


@app.get("/bare")
async def bare_get() -> Response:
    return Response(BARE_JSON, media_type="application/json")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(2048)
    print(f"bare listening on http://{args.host}:{sock.getsockname()[1]}", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on",
                                           timeout_graceful_shutdown=10))
    server.run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
