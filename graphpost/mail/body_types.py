"""A message body in the format a client prefers (`Prefer: outlook.body-content-type`)."""

from __future__ import annotations

import html

from graphpost.mail.preview import text_of_html
from graphpost.mail.types import Body


def as_type(body: Body | None, wanted: str | None) -> Body | None:
    """The body converted to `wanted` ("text" or "html"); unchanged when it already is, or when no
    format is wanted."""
    if body is None or wanted is None or body.content_type == wanted:
        return body
    content = body.content
    if wanted == "text":
        return Body("text", text_of_html(content).strip())
    # Text to HTML as Outlook does it: escaped, line breaks kept, in a minimal document.
    lines = html.escape(content).replace("\r\n", "\n").split("\n")
    return Body("html", "<html><head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
                        "\r\n</head>\r\n<body>\r\n<div>" + "<br>\r\n".join(lines) + "</div>\r\n</body>\r\n</html>\r\n")
