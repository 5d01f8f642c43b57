"""Form bodies (`application/x-www-form-urlencoded`) of the identity endpoint's requests: the token
endpoint's, the device code endpoint's and the sign-in pages' posts, read with a bound."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from graphpost.identity import errors

# A token request is a handful of fields; a client assertion with its certificate chain in x5c
# is the largest, a few kilobytes. Nothing a client sends comes near this.
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 32
FORM = "application/x-www-form-urlencoded"


async def read_form(request: Request) -> dict[str, str]:
    """The form body, read up to MAX_FORM_BYTES. A body of another type has no parameters, as
    Entra reads it (its answer then names the first missing one)."""
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM:
        return {}
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise errors.invalid_request(f"The request body is larger than {MAX_FORM_BYTES} bytes.")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError):
        raise errors.invalid_request("The request body is not a valid form.") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise errors.invalid_request(f"The parameter '{name[:50]}' is repeated.")
        form[name] = value
    return form
