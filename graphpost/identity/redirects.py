"""Where an authorization answer goes: the client's redirect URI, which graphpost accepts when it
is a loopback address (Entra accepts any port of http://localhost or http://127.0.0.1 for a public
client; graphpost's app registrations keep no redirect URIs, so loopback is all it accepts), and
how it goes there (response_mode query, fragment or form_post)."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

MAX_REDIRECT_URI = 2048
RESPONSE_MODES = ("query", "fragment", "form_post")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


def is_allowed(redirect_uri: str) -> bool:
    if len(redirect_uri) > MAX_REDIRECT_URI or any(ord(c) < 0x21 for c in redirect_uri):
        return False
    try:
        parts = urlsplit(redirect_uri)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    host = parts.netloc.rpartition("@")[2]
    host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return (parts.scheme == "http" and "@" not in parts.netloc and host.lower() in LOOPBACK_HOSTS
            and not parts.fragment)


def url_with(redirect_uri: str, response_mode: str, params: dict[str, str]) -> str:
    """The redirect for query or fragment mode (form_post is a page that posts `params`)."""
    encoded = urlencode(params)
    if response_mode == "fragment":
        return f"{redirect_uri}#{encoded}"
    return f"{redirect_uri}{'&' if urlsplit(redirect_uri).query else '?'}{encoded}"
