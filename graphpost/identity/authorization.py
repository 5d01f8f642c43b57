"""The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636): the authorize request a
client sends the browser with, the code the sign-in page hands back through the redirect URI,
and its redemption at the token endpoint. Codes live in SQL (any node redeems them), as SHA-256
digests, for ten minutes, once."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from typing import Mapping

from graphpost.auth.keys import SigningKey
from graphpost.directory import service as directory
from graphpost.directory.types import App
from graphpost.errors import EntraError
from graphpost.identity import clients, delegated, errors, redirects, scopes
from graphpost.identity.exchange import IssuedToken, TokenRequest
from graphpost.identity.tenants import TenantRef
from graphpost.identity.users import SignedIn
from graphpost.store import directory as rows
from graphpost.store import sign_ins
from graphpost.store.database import Database

CODE_LIFETIME = timedelta(minutes=10)
# RFC 7636 §4.1: a verifier (and so a plain challenge) is 43 to 128 characters; an S256
# challenge is 43. Entra accepts `plain` too.
CHALLENGE_METHODS = ("S256", "plain")
MIN_VERIFIER, MAX_VERIFIER = 43, 128
MAX_STATE = 2048
MAX_NONCE = 512
MAX_CODE = 512


@dataclass(frozen=True)
class AuthorizeRequest:
    """An authorize request graphpost will answer at the redirect URI."""
    tenant: str  # the {tenant} segment
    client_id: str
    redirect_uri: str
    response_mode: str
    state: str | None
    scope: str
    code_challenge: str | None
    challenge_method: str | None
    nonce: str | None
    login_hint: str

    def as_claims(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_claims(cls, claims: Mapping[str, object]) -> AuthorizeRequest:
        return cls(**{name: (None if claims.get(name) is None else str(claims[name]))
                      for name in cls.__dataclass_fields__})  # type: ignore[arg-type]


class RedirectableError(Exception):
    """A refusal that goes back to the client at its redirect URI (the URI itself is sound)."""

    def __init__(self, request: AuthorizeRequest, error: EntraError) -> None:
        super().__init__(str(error))
        self.request, self.error = request, error


async def registered_app(db: Database, tenant: TenantRef, client_id: str) -> App:
    """The app a client id names, in the tenant of the URL (any tenant at common/organizations)."""
    try:
        guid = str(uuid.UUID(client_id)) if len(client_id) <= 64 else None
    except ValueError:
        guid = None
    app = None
    if guid is not None:
        async with db.read() as conn:
            row = await rows.app_by_client_id(conn, guid)
        if row is not None and (tenant.tenant_id is None or row.tenant_id == tenant.tenant_id):
            app = directory.app_of(row)
    if app is None:
        raise errors.unknown_client(client_id[:64].replace("\x00", ""), tenant.segment)
    return app


async def check_authorize(db: Database, tenant: TenantRef, params: Mapping[str, str],
                          base: str) -> tuple[AuthorizeRequest, App]:
    """The request, or an EntraError for the browser (no sound client or redirect URI: nowhere to
    send it), or a RedirectableError for the client. `base` is the scheme and host called (its
    cloud's Graph is the one scopes name)."""
    client_id = params.get("client_id", "").strip()
    if not client_id:
        raise errors.missing_parameter("client_id")
    app = await registered_app(db, tenant, client_id)
    redirect_uri = params.get("redirect_uri", "").strip()
    if not redirect_uri:
        raise errors.missing_parameter("redirect_uri")
    if not redirects.is_allowed(redirect_uri):
        raise errors.redirect_uri_mismatch(redirect_uri[:redirects.MAX_REDIRECT_URI], app.client_id)
    mode = params.get("response_mode", "query").strip() or "query"
    state = params.get("state")
    request = AuthorizeRequest(
        tenant=tenant.segment, client_id=app.client_id, redirect_uri=redirect_uri,
        response_mode=mode if mode in redirects.RESPONSE_MODES else "query",
        state=state[:MAX_STATE] if state is not None else None, scope=params.get("scope", "").strip(),
        code_challenge=params.get("code_challenge") or None,
        challenge_method=(params.get("code_challenge_method") or ("plain" if params.get("code_challenge") else None)),
        nonce=params.get("nonce") or None, login_hint=params.get("login_hint", "")[:320])
    try:
        if mode not in redirects.RESPONSE_MODES:
            raise errors.invalid_request(f"response_mode must be one of {', '.join(redirects.RESPONSE_MODES)}.")
        response_type = params.get("response_type", "").strip()
        if not response_type:
            raise errors.missing_parameter("response_type")
        if response_type != "code":
            raise errors.unsupported_response_type(response_type[:50])
        if state is not None and len(state) > MAX_STATE:
            raise errors.invalid_request(f"state is longer than {MAX_STATE} characters.")
        if request.nonce is not None and len(request.nonce) > MAX_NONCE:
            raise errors.invalid_request(f"nonce is longer than {MAX_NONCE} characters.")
        scopes.delegated(request.scope, tenant, base)
        if request.code_challenge is not None:
            if request.challenge_method not in CHALLENGE_METHODS:
                raise errors.invalid_code_challenge("code_challenge_method must be S256 or plain.")
            if not MIN_VERIFIER <= len(request.code_challenge) <= MAX_VERIFIER:
                raise errors.invalid_code_challenge("Its length must be 43 to 128 characters.")
        elif params.get("code_challenge_method"):
            raise errors.missing_parameter("code_challenge")
    except EntraError as error:
        raise RedirectableError(request, error) from None
    return request, app


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


async def issue_code(db: Database, request: AuthorizeRequest, user: SignedIn, now: datetime | None = None) -> str:
    code = secrets.token_urlsafe(48)
    expires = (now or datetime.now(timezone.utc)) + CODE_LIFETIME
    row = sign_ins.CodeRow(request.client_id, user.user_id, request.redirect_uri, request.code_challenge,
                           request.challenge_method, request.scope, request.nonce, expires)
    async with db.write() as conn:
        # Each new code sweeps out what has expired, so the tables stay as small as what is live.
        await sign_ins.delete_expired(conn, expires - CODE_LIFETIME)
        await sign_ins.insert_code(conn, digest(code), row)
    return code


def verifier_matches(verifier: str, challenge: str, method: str) -> bool:
    if method == "S256":
        computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii", "replace")).digest())
        return secrets.compare_digest(computed.decode().rstrip("="), challenge)
    return secrets.compare_digest(verifier.encode(), challenge.encode())


async def code_grant(db: Database, key: SigningKey, lifetime: timedelta, tenant: TenantRef,
                     request: TokenRequest) -> IssuedToken:
    request.require("client_id", "code", "redirect_uri")
    form = request.form
    code = form["code"].strip()
    if len(code) > MAX_CODE:
        raise errors.code_redeemed()
    # Taken (deleted) first, and for good: a code that fails any check below is spent too, so a
    # stolen code cannot be tried against verifiers or clients.
    async with db.write() as conn:
        row = await sign_ins.take_code(conn, digest(code))
    if row is None:
        raise errors.code_redeemed()
    if row.expires_at <= datetime.now(timezone.utc):
        raise errors.grant_expired()
    if row.client_id.lower() != form["client_id"].strip().lower():
        raise errors.grant_of_another_client()
    if form["redirect_uri"].strip() != row.redirect_uri:
        raise errors.redirect_uri_differs()
    if row.code_challenge is not None:
        verifier = form.get("code_verifier", "")
        if not (MIN_VERIFIER <= len(verifier) <= MAX_VERIFIER) or not verifier_matches(
                verifier, row.code_challenge, row.challenge_method or "plain"):
            raise errors.code_verifier_mismatch()
    user, home = await delegated.user_of_grant(db, tenant, row.user_id)
    client = await clients.authenticate(db, home, form, request.basic, request.token_endpoints, public=True)
    asked = scopes.delegated(row.scope, tenant, request.base)
    return await delegated.issue(db, key, lifetime, request, home, client.client_id, user, asked, row.scope,
                                 nonce=row.nonce)
