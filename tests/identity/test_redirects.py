"""Which redirect URIs the authorize endpoint sends codes to (loopback only), and how."""

from __future__ import annotations

import pytest

from graphpost.identity.redirects import is_allowed, url_with


@pytest.mark.parametrize("uri", ["http://localhost", "http://localhost:8400/callback", "http://127.0.0.1:1/a?b=c",
                                 "http://[::1]:9/", "http://LOCALHOST/"])
def test_loopback_uris_are_allowed(uri: str) -> None:
    assert is_allowed(uri)


@pytest.mark.parametrize("uri", ["https://app.example/cb", "https://localhost/cb", "http://localhost.example/",
                                 "http://127.0.0.1.example/", "http://user@localhost/", "http://localhost:99999/",
                                 "http://localhost/#x", "http://localhost/a b", "http://localhost/\n",
                                 "javascript:alert(1)", "http://localhost/" + "a" * 2048, ""])
def test_other_uris_are_not(uri: str) -> None:
    assert not is_allowed(uri)


def test_the_answer_goes_in_the_query_or_the_fragment() -> None:
    assert url_with("http://localhost/cb", "query", {"code": "a b", "state": "s&t"}) == \
        "http://localhost/cb?code=a+b&state=s%26t"
    assert url_with("http://localhost/cb?x=1", "query", {"code": "c"}) == "http://localhost/cb?x=1&code=c"
    assert url_with("http://localhost/cb", "fragment", {"code": "c"}) == "http://localhost/cb#code=c"
