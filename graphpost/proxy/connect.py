"""Reading a proxy request's head and deciding on it: a `CONNECT host:443` to one of the national
clouds' hosts is let through; everything else gets a refusal. Pure functions over bytes, no I/O.

RFC 9110 §9.3.6: a CONNECT request's target is `host:port` (authority-form); the proxy answers
2xx and then relays bytes both ways, or any other status and closes. A request in absolute-form
(`GET http://host/…`) asks the proxy to fetch a URL itself, which graphpost never does."""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphpost.auth import clouds

# Browsers and curl send CONNECT heads of a few hundred bytes; 8 KiB is what nginx allows a
# request line and headers by default.
MAX_HEAD = 8192
TLS_PORT = 443
HEAD_END = b"\r\n\r\n"
_REQUEST_LINE = re.compile(rb"([A-Z]{1,20}) (\S{1,2048}) HTTP/1\.[01]")
# RFC 9110 §4.2 / RFC 3986 §3.2.2: a reg-name or an IPv6 literal, then a port.
_AUTHORITY = re.compile(r"(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253}):([0-9]{1,5})")


@dataclass(frozen=True)
class Tunnel:
    """A CONNECT the proxy accepts: the host (normalised) whose certificate it presents."""
    host: str


@dataclass(frozen=True)
class Refusal:
    status: int
    reason: str
    message: str       # one line, for the client's body and the log

    def response(self) -> bytes:
        body = (self.message + "\n").encode()
        return (f"HTTP/1.1 {self.status} {self.reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body


ONLY = "graphpost's proxy only tunnels (CONNECT) to Graph's and Entra's hosts on port 443"
TOO_LARGE = Refusal(431, "Request Header Fields Too Large", f"the request head is larger than {MAX_HEAD} bytes")
TIMED_OUT = Refusal(408, "Request Timeout", "the CONNECT request did not arrive in time")
BUSY = Refusal(503, "Service Unavailable", "too many tunnels are open; try again later")
EARLY_DATA = Refusal(400, "Bad Request", "data was sent before the tunnel was established")
ESTABLISHED = b"HTTP/1.1 200 Connection established\r\n\r\n"


def head_length(buffer: bytes) -> int | None:
    """The length of the head (up to and including the blank line) if `buffer` holds all of it."""
    end = buffer.find(HEAD_END)
    return None if end < 0 else end + len(HEAD_END)


def decide(head: bytes) -> Tunnel | Refusal:
    """What to answer a complete request head."""
    line = head.split(b"\r\n", 1)[0]
    found = _REQUEST_LINE.fullmatch(line)
    if found is None:
        return Refusal(400, "Bad Request", "the request line is not an HTTP/1.1 request")
    method, target = found.group(1).decode(), found.group(2).decode("ascii", "replace")
    if method != "CONNECT":
        return Refusal(403, "Forbidden", f"{method} {target[:200]} refused: {ONLY}")
    authority = _AUTHORITY.fullmatch(target)
    if authority is None:
        return Refusal(400, "Bad Request", f"CONNECT needs host:port, not '{target[:200]}'")
    host, port = clouds.host_name(authority.group(1)), int(authority.group(2))
    if host not in clouds.GRAPH_HOSTS | clouds.LOGIN_HOSTS:
        return Refusal(403, "Forbidden", f"CONNECT to {host} refused: {ONLY}")
    if port != TLS_PORT:
        return Refusal(403, "Forbidden", f"CONNECT to {host}:{port} refused: {ONLY}")
    return Tunnel(host)
