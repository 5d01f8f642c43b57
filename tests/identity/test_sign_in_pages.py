"""The sign-in page's token: graphpost's signature, its kind of page, and the browser's cookie."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphpost.auth.keys import SigningKey, load_or_create
from graphpost.identity.sign_in_pages import PageTokenError, new_page, read_page


@pytest.fixture
def key(tmp_path: Path) -> SigningKey:
    return load_or_create(tmp_path / "one")


def test_a_page_token_brings_its_request_back(key: SigningKey) -> None:
    token, cookie = new_page(key, "authorize", {"client_id": "c", "state": None})
    assert read_page(key, "authorize", token, cookie) == {"client_id": "c", "state": None}


def test_a_page_token_is_refused_without_its_cookie_for_another_page_or_when_altered(key: SigningKey,
                                                                                    tmp_path: Path) -> None:
    token, cookie = new_page(key, "authorize", {})
    other_token, other_cookie = new_page(key, "authorize", {})
    for page_token, browser_cookie, kind in [(token, None, "authorize"), (None, cookie, "authorize"),
                                             (token, other_cookie, "authorize"), (token, cookie, "device"),
                                             (token[:-3] + "AAA", cookie, "authorize"),
                                             ("x" * 20000, cookie, "authorize")]:
        with pytest.raises(PageTokenError):
            read_page(key, kind, page_token, browser_cookie)
    with pytest.raises(PageTokenError):  # signed by another key
        read_page(load_or_create(tmp_path / "another"), "authorize", other_token, other_cookie)
