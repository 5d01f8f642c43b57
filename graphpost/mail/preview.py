"""bodyPreview: the first 255 characters of the body's text, whitespace collapsed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

PREVIEW_LENGTH = 255
_SPACE = re.compile(r"\s+")


class _TextOf(HTMLParser):
    _SKIPPED = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1
        elif tag in {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def text_of_html(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def body_preview(content_type: str, content: str) -> str:
    text = text_of_html(content) if content_type == "html" else content
    return _SPACE.sub(" ", text).strip()[:PREVIEW_LENGTH]
