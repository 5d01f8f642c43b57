"""HTTPS in front of a plain-HTTP `graphpost serve`, for clients that speak only HTTPS (MSAL and
azure-identity refuse an http authority). It terminates TLS with a test CA's certificate and hands
each request to graphpost with `X-Forwarded-Proto: https`, which uvicorn trusts from 127.0.0.1,
so graphpost sees the scheme and host the client called, as behind any TLS-terminating proxy.

One request per connection (it asks both sides to close), requests with a Content-Length body
only: what MSAL's requests and httpx send. It stands in for `graphpost serve --tls` here."""

from __future__ import annotations

import socket
import ssl
import threading
from pathlib import Path
from types import TracebackType

MAX_HEAD = 64 * 1024
HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"x-forwarded-proto", b"x-forwarded-for"}


class TlsFront:
    def __init__(self, backend_port: int, cert_file: Path, key_file: Path, host: str = "localhost",
                 address: tuple[str, int] = ("127.0.0.1", 0)) -> None:
        self.backend_port = backend_port
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert_file, key_file)
        self.listener = socket.create_server(address)
        self.host = host
        self.port = self.listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    @property
    def base_url(self) -> str:
        return f"https://{self.host}" + ("" if self.port == 443 else f":{self.port}")

    def __enter__(self) -> TlsFront:
        self._spawn(self._accept)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._stopping.set()
        self.listener.close()
        for thread in self._threads:
            thread.join(10)

    def _spawn(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        thread.start()
        self._threads.append(thread)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(30)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                head, body = _read_request(tls)
                if head is None:
                    return
                with socket.create_connection(("127.0.0.1", self.backend_port), timeout=30) as backend:
                    backend.sendall(_forwarded(head) + body)
                    while chunk := backend.recv(65536):
                        tls.sendall(chunk)
        except (OSError, ssl.SSLError):
            conn.close()


def _read_request(tls: ssl.SSLSocket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = tls.recv(65536)
        if not chunk or len(data) > MAX_HEAD:
            return None, b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = tls.recv(65536)
        if not chunk:
            break
        body += chunk
    return head, body


def _forwarded(head: bytes) -> bytes:
    lines = head.split(b"\r\n")
    kept = [line for line in lines[1:] if line.partition(b":")[0].strip().lower() not in HOP_BY_HOP]
    return b"\r\n".join([lines[0], *kept, b"Connection: close", b"X-Forwarded-Proto: https",
                         b"X-Forwarded-For: 127.0.0.1"]) + b"\r\n\r\n"
