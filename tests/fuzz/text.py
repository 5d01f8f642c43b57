"""Strategies for the characters that break things: NUL, CR and LF, lone surrogates, characters
past the BMP, encoded-word markers, quotes, SQL LIKE wildcards, and now and then a huge string."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

SPECIAL = ["\x00", "\r\n", "\r", "\n", "\t", "\ud800", "\udfff", "\U0001F600", "\u2028", "\ufeff", "\x7f", "\x1b",
           "\x85", "\uffff", "\U0010ffff", "é", "ß", "=?utf-8?q?x?=", "=?", "?=", "<", ">", "'", "''", '"', "\\",
           "%", "_", "*", "(", ")", ",", ":", ";", "@", " ", "  ", "-", "/", "&", "#", "+", "="]
# Any code point, surrogates included: JSON carries them as \ud800 escapes.
ANY_CHARACTER = st.characters(exclude_categories=())

# The characters that broke things before come up most: NUL, line breaks, lone surrogates.
_piece = st.one_of(st.sampled_from(["\x00", "\r\n", "\n", "\ud800", "\udfff"]), st.sampled_from(SPECIAL),
                   st.text(ANY_CHARACTER, max_size=6), st.text("abcxyz .@", max_size=8))
short_text = st.lists(_piece, max_size=10).map("".join)
huge_text = st.builds(lambda unit, count: unit * count, st.sampled_from(["x", "é", "\r\n", "a b ", "\U0001F600"]),
                      st.integers(20_000, 400_000))


def nasty_text() -> st.SearchStrategy[str]:
    """Mostly short strings of awkward characters; one in twenty huge."""
    return st.integers(0, 19).flatmap(lambda pick: huge_text if pick == 0 else short_text)


def printable_text(max_size: int = 20) -> st.SearchStrategy[str]:
    return st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=max_size)


LOCAL_AND_EXTERNAL = ["bob@contoso.test", "alice@contoso.test", "BOB@CONTOSO.TEST", "ext@example.com",
                      "nobody@contoso.test", "", " ", "not-an-address", "a@b", "@", "@contoso.test", "x@",
                      "x@[127.0.0.1]", '"quoted local"@example.com', "a..b@example.com", "ü@bücher.example",
                      "a@b@c", "<bob@contoso.test>", "Bob <bob@contoso.test>", "bob@contoso.test, ext@example.com"]
address = st.one_of(st.sampled_from(LOCAL_AND_EXTERNAL),
                    st.builds(lambda local, domain: f"{local}@{domain}", short_text, st.sampled_from(
                        ["example.com", "contoso.test", "", "ex ample.com", "example.com\r\nBcc: x@y.z"])),
                    nasty_text())

# Every kind of JSON value, numbers past every integer width and float range included.
json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.sampled_from([2 ** 63, -(2 ** 63) - 1, 10 ** 40]),
                        st.floats(allow_nan=False, allow_infinity=False), nasty_text())
json_value = st.recursive(json_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(short_text, inner, max_size=4)), max_leaves=8)


def json_bytes(value: Any) -> bytes:
    """JSON as a client may write it: non-ASCII escaped (so lone surrogates travel as \\ud800)."""
    return json.dumps(value, ensure_ascii=True).encode("ascii")


def nested_json(depth: int, leaf: str = "1") -> str:
    """Arrays and objects `depth` deep, written out by hand: json.dumps would recurse."""
    return "".join('{"a":' if level % 2 else "[" for level in range(depth)) + leaf + \
        "".join("}" if level % 2 else "]" for level in reversed(range(depth)))
