"""HTTP Basic client credentials (RFC 6749 §2.3.1): form-urlencoded, then base64."""

from __future__ import annotations

import base64

import pytest

from graphpost.errors import EntraError
from graphpost.identity.clients import basic_credentials


def test_basic_credentials_are_decoded_and_unquoted() -> None:
    header = "Basic " + base64.b64encode(b"my%3Aapp:p%40ss+word").decode()
    assert basic_credentials(header) == ("my:app", "p@ss word")


@pytest.mark.parametrize("header", [None, "", "Bearer abc"])
def test_no_basic_header_is_none(header: str | None) -> None:
    assert basic_credentials(header) is None


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode(),
                                    "Basic " + base64.b64encode(b"\xff:\xfe").decode()])
def test_broken_basic_is_invalid_request(header: str) -> None:
    with pytest.raises(EntraError) as refused:
        basic_credentials(header)
    assert (refused.value.status, refused.value.code) == (400, "invalid_request")
