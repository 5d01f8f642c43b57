"""The identity endpoint's HTML: the sign-in form (for the authorization code and device code
grants), the message pages, and the form_post answer. Small, server-rendered, no script needed;
everything that comes from a request or the directory is escaped."""

from __future__ import annotations

import base64
import hashlib
from html import escape
from typing import Mapping

from fastapi.responses import HTMLResponse

# The pages load nothing, run no script but form_post's one line, and may not be framed.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action *; frame-ancestors 'none'"
_FORM_POST_CSP = "default-src 'none'; script-src 'sha256-{hash}'; form-action *; frame-ancestors 'none'"
_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Frame-Options": "DENY",
            "Referrer-Policy": "no-referrer"}
_STYLE = ("body{font-family:sans-serif;max-width:26em;margin:3em auto;padding:0 1em}"
          "label{display:block;margin-top:1em}input[type=text],input[type=email],input[type=password]"
          "{width:100%;padding:.4em;box-sizing:border-box}.error{color:#a4262c}button{margin-top:1.2em;"
          "padding:.5em 1.5em;margin-right:.5em}")


def _page(title: str, body: str, status: int = 200, csp: str = _CSP) -> HTMLResponse:
    html = (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta name="viewport" content="width=device-width"><style>{_STYLE}</style></head>'
            f"<body><h1>{escape(title)}</h1>{body}</body></html>")
    return HTMLResponse(html, status_code=status, headers={**_HEADERS, "Content-Security-Policy": csp})


def sign_in_form(action: str, page_token: str, app_name: str, login_hint: str = "", error: str | None = None,
                 user_code: str | None = None, status: int = 200) -> HTMLResponse:
    """The form: the user's name and password (and the device's code, when `user_code` is not
    None), the page token, and a Cancel button that declines."""
    parts = [f"<p>Sign in to <strong>{escape(app_name)}</strong> with your graphpost account.</p>"]
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    parts.append(f'<form method="post" action="{escape(action)}">'
                 f'<input type="hidden" name="page_token" value="{escape(page_token)}">')
    if user_code is not None:
        parts.append('<label for="user_code">Code</label><input type="text" id="user_code" name="user_code" '
                     f'value="{escape(user_code)}" autocomplete="off" required maxlength="16">')
    parts.append('<label for="username">Email or user name</label><input type="email" id="username" '
                 f'name="username" value="{escape(login_hint)}" autocomplete="username" required maxlength="320">'
                 '<label for="password">Password</label><input type="password" id="password" name="password" '
                 'autocomplete="current-password" required maxlength="1024">'
                 '<button type="submit" name="action" value="sign_in">Sign in</button>'
                 '<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button></form>')
    return sign_in_title("".join(parts), status)


def sign_in_title(body: str, status: int) -> HTMLResponse:
    return _page("Sign in", body, status)


def message(title: str, text: str, status: int = 200) -> HTMLResponse:
    return _page(title, f"<p>{escape(text)}</p>", status)


_SUBMIT = "document.forms[0].submit()"


def form_post(redirect_uri: str, params: Mapping[str, str]) -> HTMLResponse:
    """response_mode=form_post: a page that posts the answer to the redirect URI, by itself where
    script runs, by its button where it does not."""
    fields = "".join(f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
                     for name, value in params.items())
    script_hash = base64.b64encode(hashlib.sha256(_SUBMIT.encode()).digest()).decode()
    body = (f'<form method="post" action="{escape(redirect_uri)}">{fields}'
            '<p>Signed in. Continue to the application.</p><button type="submit">Continue</button></form>'
            f"<script>{_SUBMIT}</script>")
    return _page("Signed in", body, csp=_FORM_POST_CSP.format(hash=script_hash))
