"""Client authentication at the token endpoint (RFC 6749 §2.3): a secret in the form body or in
HTTP Basic, or a client assertion signed with a registered certificate."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import unquote_plus

from graphpost.auth.certificates import AppCertificate, load_certificate
from graphpost.directory import service as directory
from graphpost.identity import assertions, errors
from graphpost.identity.tenants import TenantRef
from graphpost.store import directory as rows
from graphpost.store.database import Database

# Longer than any secret graphpost hands out (40 characters) by far; a longer one is wrong at once.
MAX_SECRET = 1024


@dataclass(frozen=True)
class Client:
    """The app that authenticated: what a token for it needs."""
    client_id: str
    tenant_id: str
    permissions: tuple[str, ...]


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """Client id and secret of an `Authorization: Basic` header, each form-urlencoded first
    (RFC 6749 §2.3.1); None for no Basic header."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise errors.invalid_request("The Authorization header is not valid HTTP Basic.") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise errors.invalid_request("The Authorization header is not valid HTTP Basic.")
    return unquote_plus(client_id), unquote_plus(secret)


async def authenticate(db: Database, tenant: TenantRef, form: Mapping[str, str], basic: tuple[str, str] | None,
                       token_endpoints: list[str], public: bool = False) -> Client:
    """The registered app that `form` (or `basic`) names and proves itself to be; with `public`,
    a client that sends no credentials at all is taken at its word (a public client's grant
    rests on the user's credentials instead)."""
    client_id = form.get("client_id", "").strip()
    secret = form.get("client_secret")
    if basic is not None:
        if client_id and client_id.lower() != basic[0].lower():
            raise errors.invalid_request("The client_id of the body and of the Authorization header differ.")
        if secret is not None:
            raise errors.invalid_request("Only one client authentication method may be used.")
        client_id, secret = basic
    if not client_id:
        raise errors.missing_parameter("client_id")
    assertion, assertion_type = form.get("client_assertion"), form.get("client_assertion_type")
    if secret is not None and assertion is not None:
        raise errors.invalid_request("Only one client authentication method may be used.")
    if tenant.tenant_id is None:
        raise errors.tenant_required(client_id, tenant.segment)
    # Client ids are GUIDs (graphpost app add makes or checks them): nothing else is looked up.
    try:
        guid = str(uuid.UUID(client_id)) if len(client_id) <= 64 else None
    except ValueError:
        guid = None
    app = await directory.app_for_token(db, tenant.tenant_id, guid) if guid else None
    if app is None:
        raise errors.unknown_client(client_id[:64].replace("\x00", ""), tenant.segment)
    if assertion is not None:
        if assertion_type != assertions.JWT_BEARER:
            raise errors.malformed_assertion(f"client_assertion_type must be {assertions.JWT_BEARER}")
        await assertions.verify(assertion, app.client_id, token_endpoints, _certificates(db, app.client_id))
    elif secret is not None:
        await _check_secret(db, app.client_id, secret)
    elif not public:
        raise errors.missing_credentials()
    return Client(app.client_id, app.tenant_id, tuple(app.permissions))


async def _check_secret(db: Database, client_id: str, secret: str) -> None:
    if len(secret) > MAX_SECRET or not await directory.app_secret_matches(db, client_id, secret):
        raise errors.wrong_secret(client_id)


def _certificates(db: Database, client_id: str) -> assertions.CertificateLookup:
    async def find(sha256: str | None, sha1: str | None) -> AppCertificate | None:
        async with db.read() as conn:
            pem = await rows.app_certificate_pem(conn, client_id, sha256=sha256, sha1=sha1)
        if pem is None:
            return None
        return load_certificate(pem.encode())
    return find
