import pytest

from graphpost.auth import clouds
from graphpost.proxy.connect import MAX_HEAD, Refusal, Tunnel, decide, head_length

ONLY = "graphpost's proxy only tunnels (CONNECT) to Graph's and Entra's hosts on port 443"


@pytest.mark.parametrize("host", clouds.proxied_hosts())
def test_connect_to_each_clouds_host_on_443_opens_a_tunnel(host: str) -> None:
    assert decide(f"CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\n\r\n".encode()) == Tunnel(host)


def test_the_target_is_normalised_before_it_is_matched() -> None:
    assert decide(b"CONNECT Graph.Microsoft.COM.:443 HTTP/1.0\r\n\r\n") == Tunnel("graph.microsoft.com")


@pytest.mark.parametrize("head, status, message", [
    (b"CONNECT example.com:443 HTTP/1.1\r\n\r\n", 403, f"CONNECT to example.com refused: {ONLY}"),
    (b"CONNECT graph.microsoft.com.evil.test:443 HTTP/1.1\r\n\r\n", 403,
     f"CONNECT to graph.microsoft.com.evil.test refused: {ONLY}"),
    (b"CONNECT 127.0.0.1:443 HTTP/1.1\r\n\r\n", 403, f"CONNECT to 127.0.0.1 refused: {ONLY}"),
    (b"CONNECT [::1]:443 HTTP/1.1\r\n\r\n", 403, f"CONNECT to [::1] refused: {ONLY}"),
    (b"CONNECT graph.microsoft.com:80 HTTP/1.1\r\n\r\n", 403, f"CONNECT to graph.microsoft.com:80 refused: {ONLY}"),
    (b"GET http://graph.microsoft.com/v1.0/me HTTP/1.1\r\n\r\n", 403,
     f"GET http://graph.microsoft.com/v1.0/me refused: {ONLY}"),
    (b"CONNECT graph.microsoft.com HTTP/1.1\r\n\r\n", 400, "CONNECT needs host:port, not 'graph.microsoft.com'"),
    (b"CONNECT graph.microsoft.com:443\r\n\r\n", 400, "the request line is not an HTTP/1.1 request"),
    (b"\x16\x03\x01\x02\x00\r\n\r\n", 400, "the request line is not an HTTP/1.1 request"),
])
def test_anything_else_is_refused_with_one_line(head: bytes, status: int, message: str) -> None:
    decision = decide(head)
    assert isinstance(decision, Refusal) and (decision.status, decision.message) == (status, message)


def test_a_refusal_is_a_complete_http_response_that_closes() -> None:
    refusal = Refusal(403, "Forbidden", "no")
    assert refusal.response() == (b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                  b"Content-Length: 3\r\nConnection: close\r\n\r\nno\n")


def test_the_head_ends_at_the_first_blank_line() -> None:
    assert head_length(b"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n") is None
    assert head_length(b"CONNECT a:443 HTTP/1.1\r\n\r\nmore") == len(b"CONNECT a:443 HTTP/1.1\r\n\r\n")
    assert MAX_HEAD == 8192
