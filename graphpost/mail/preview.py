"""bodyPreview: the first 255 characters of the body's text, whitespace collapsed."""

from __future__ import annotations

import re
from html import unescape

PREVIEW_LENGTH = 255

# The text of HTML as html.parser's HTMLParser would hand it over (tags dropped, character
# references resolved, script/style/head/title left out, a space for each block tag), found by
# one regex: HTMLParser parses every tag's attributes, which the text never needs, and that cost
# the send path ~30 µs per message for a preview. tests/mail/test_preview.py compares the two.
_SKIPPED = frozenset({"script", "style", "head", "title"})
_BLOCKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
_RAW_TEXT = frozenset({"script", "style"})  # HTMLParser's CDATA_CONTENT_ELEMENTS
_MARKUP = re.compile(
    r"<(?:(?P<end>/)?(?P<name>[a-zA-Z][^\t\n\r\f />\x00]*)"
    r"(?P<rest>(?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"  # a start or end tag, attributes quoted or not
    r"|!--.*?(?:--!?>|\Z)"                        # a comment
    r"|![^>]*>|\?[^>]*>)",                        # a declaration, a processing instruction
    re.S)


def text_of_html(html: str, enough: int | None = None) -> str:
    """The text of an HTML document; with `enough`, reading may stop once the text holds that
    many characters after whitespace is collapsed (a preview of a long body needs its start)."""
    parts: list[str] = []
    skipping = 0
    position = 0
    gathered = 0
    check_at = enough or 0
    while position < len(html):
        found = _MARKUP.search(html, position)
        text = html[position:found.start() if found else len(html)]
        if text and not skipping:
            parts.append(unescape(text) if "&" in text else text)
            gathered += len(text)
        if found is None:
            break
        position = found.end()
        name = found["name"]
        if name is None:
            continue
        name = name.lower()
        if found["end"]:
            if name in _SKIPPED and skipping:
                skipping -= 1
            continue
        if name in _SKIPPED:
            skipping += 1
        elif name in _BLOCKS:
            parts.append(" ")
        if found["rest"].endswith("/"):
            # <x/>: HTMLParser reports a start and an end tag; a script so written has no content.
            if name in _SKIPPED and skipping:
                skipping -= 1
        elif name in _RAW_TEXT:
            closing = re.compile(rf"</\s*{name}\s*>", re.I).search(html, position)
            # Its content is text, and skipped; without an end tag, so is the rest of the document.
            position = closing.start() if closing else len(html)
        if enough is not None and gathered > check_at:
            if len(_collapsed("".join(parts))) > enough:
                break
            check_at = 2 * gathered  # mostly whitespace so far: look again when there is twice as much
    return "".join(parts)


def _collapsed(text: str) -> str:
    # Whitespace collapsing is local, so a long text's first characters come from its start alone.
    window = 4 * PREVIEW_LENGTH
    while True:
        # split() splits on the same whitespace as \s and drops it at both ends; several times
        # faster than a regex substitution on prose, where every space is a match.
        collapsed = " ".join(text[:window].split())
        if len(collapsed) > PREVIEW_LENGTH or window >= len(text):
            return collapsed
        window *= 4


def body_preview(content_type: str, content: str) -> str:
    text = text_of_html(content, PREVIEW_LENGTH) if content_type == "html" else content
    return _collapsed(text)[:PREVIEW_LENGTH]
