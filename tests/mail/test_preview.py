"""The text of HTML (mail/preview.py) is the text html.parser's HTMLParser gives, for the HTML that
mail carries and for the malformed kind."""

from __future__ import annotations

import random
from html.parser import HTMLParser

import pytest

from graphpost.mail.preview import body_preview, text_of_html


class Oracle(HTMLParser):
    """What graphpost used before: the standard library's parser."""
    SKIPPED = {"script", "style", "head", "title"}
    BLOCKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def oracle(html: str) -> str:
    parser = Oracle()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


SAMPLES = [
    "<html><head><title>T</title><style>p{color:red}</style></head><body><p>Hello <b>team</b>,</p>"
    "<div>line&nbsp;two &amp; &lt;three&gt; &#233;&#x41;</div><br/>end</body></html>",
    '<p class="a>b" title=\'c>d\'>quoted &gt; attributes</p><img src="x.png" alt="pic"/>after',
    "<script>if (a<b && c>d) { x = '</div>'; }</script>visible<SCRIPT>hidden</SCRIPT>shown",
    "<!-- a comment <p>not a tag</p> -->text<!DOCTYPE html><?xml version='1.0'?>more",
    "a < b and c > d, 5<6",
    "<ul><li>one</li><li>two</li></ul><table><tr><td>cell</td></tr></table>",
    "<H1>Upper</H1><P>Case</P><Br>",
    "<style>unclosed style body",
    "<p>unclosed <b>bold",
    "<script/>after a self-closed script",
    "plain text, no markup at all",
    "",
]


@pytest.mark.parametrize("html", SAMPLES)
def test_text_matches_html_parser(html: str) -> None:
    assert text_of_html(html) == oracle(html)


def test_text_matches_html_parser_on_random_documents() -> None:
    pieces = ["<p>", "</p>", "<div class='x'>", "</div>", "<br>", "<br/>", "<b>", "</b>", "<head>", "</head>",
              "<title>", "</title>", "<style>", "</style>", "<script>", "</script>", "<!-- c -->", "&amp;",
              "&nbsp;", "&#65;", "text", " words here ", "\n", "<a href=\"u?a=1&b=2\">", "</a>", "x>y", "é"]
    rng = random.Random(7)
    for _ in range(2000):
        html = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        assert text_of_html(html) == oracle(html), html


def test_a_preview_reads_only_the_start_of_a_long_body() -> None:
    body = "<p>" + "word " * 100_000 + "</p>"
    preview = body_preview("html", body)
    assert preview == ("word " * 60).strip()[:255]
