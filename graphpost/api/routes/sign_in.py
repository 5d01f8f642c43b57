"""The identity endpoint's browser side: the authorize endpoint's sign-in page (authorization
code grant), the device code endpoint and its verification page (/devicelogin). Pages carry a
signed page token bound to a cookie (identity/sign_in_pages.py); refusals before the client's
redirect URI is known are pages, after it they go to the redirect URI as Entra sends them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from graphpost.api import sign_in_html as html
from graphpost.api.forms import read_form
from graphpost.api.responses import EntraJSONResponse
from graphpost.api.runtime import runtime_of
from graphpost.errors import EntraError
from graphpost.identity import authorization, device_codes, errors, redirects, sign_in_pages, tenants
from graphpost.identity.authorization import AuthorizeRequest, RedirectableError
from graphpost.identity.tenants import TenantRef
from graphpost.identity.users import sign_in

router = APIRouter()

AUTHORIZE, DEVICE = "authorize", "device"
DEVICE_PAGE = "/devicelogin"
# What the page says of a refused sign-in: Entra's words, not which of the two was wrong.
WRONG_CREDENTIALS = "Your account or password is incorrect."
DISABLED = "Your account is disabled. Contact your administrator."
STALE_PAGE = ("This sign-in page has expired or was not opened in this browser. Go back to the application "
              "and start the sign-in again.")
BAD_USER_CODE = "That code didn't work. Check the code and try again."


def _with_cookie(request: Request, response: Response, binding: str) -> Response:
    response.set_cookie(sign_in_pages.COOKIE, binding, max_age=int(sign_in_pages.LIFETIME.total_seconds()),
                        httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")
    return response


def _answer(auth: AuthorizeRequest, params: dict[str, str]) -> Response:
    """The answer at the client's redirect URI, in its response mode, with its state."""
    if auth.state is not None:
        params = {**params, "state": auth.state}
    if auth.response_mode == "form_post":
        return html.form_post(auth.redirect_uri, params)
    return RedirectResponse(redirects.url_with(auth.redirect_uri, auth.response_mode, params), 302,
                            headers={"Cache-Control": "no-store"})


def _error(auth: AuthorizeRequest, error: EntraError) -> Response:
    return _answer(auth, {"error": error.code, "error_description": str(error)})


def _refusal(error: EntraError) -> Response:
    return html.message("Sign-in failed", str(error), 400)


def _credential_error(error: EntraError) -> str:
    return DISABLED if error.aadsts == 50057 else WRONG_CREDENTIALS


@router.get("/{tenant}/oauth2/v2.0/authorize")
async def authorize(request: Request, tenant: str) -> Response:
    db = runtime_of(request).db
    try:
        found = await tenants.resolve(db, tenant)
        auth, app = await authorization.check_authorize(db, found, dict(request.query_params),
                                                        str(request.base_url).rstrip("/"))
    except RedirectableError as refused:
        return _error(refused.request, refused.error)
    except EntraError as error:
        return _refusal(error)
    if request.query_params.get("prompt") == "none":
        return _error(auth, errors.login_required())
    page_token, binding = sign_in_pages.new_page(request.app.state.signing_key, AUTHORIZE, auth.as_claims())
    page = html.sign_in_form(request.url.path, page_token, app.display_name, auth.login_hint)
    return _with_cookie(request, page, binding)


@router.post("/{tenant}/oauth2/v2.0/authorize")
async def authorize_sign_in(request: Request, tenant: str) -> Response:
    db = runtime_of(request).db
    form = await read_form(request)
    try:
        claims = sign_in_pages.read_page(request.app.state.signing_key, AUTHORIZE, form.get("page_token"),
                                         request.cookies.get(sign_in_pages.COOKIE))
        auth = AuthorizeRequest.from_claims(claims)
    except (sign_in_pages.PageTokenError, TypeError):
        return html.message("Sign-in failed", STALE_PAGE, 400)
    if form.get("action") == "cancel":
        return _error(auth, errors.user_declined())
    try:
        found = await tenants.resolve(db, auth.tenant)
        app = await authorization.registered_app(db, found, auth.client_id)
    except EntraError as error:
        return _refusal(error)
    username = form.get("username", "").strip()
    try:
        user = await sign_in(db, found, username, form.get("password", ""))
    except EntraError as error:
        return html.sign_in_form(request.url.path, form["page_token"], app.display_name, username[:320],
                                 _credential_error(error))
    code = await authorization.issue_code(db, auth, user)
    return _answer(auth, {"code": code})


@router.post("/{tenant}/oauth2/v2.0/devicecode")
async def device_code(request: Request, tenant: str) -> EntraJSONResponse:
    db = runtime_of(request).db
    found = await tenants.resolve(db, tenant)
    base = str(request.base_url).rstrip("/")
    answer = await device_codes.start(db, found, await read_form(request), base, base + DEVICE_PAGE)
    return EntraJSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.get(DEVICE_PAGE)
async def device_page(request: Request) -> Response:
    page_token, binding = sign_in_pages.new_page(request.app.state.signing_key, DEVICE, {})
    # Entra's page takes the code from ?otc= too, for a link that carries it.
    code = device_codes.normalize_user_code(request.query_params.get("otc", ""))
    page = html.sign_in_form(DEVICE_PAGE, page_token, "an application on your device", user_code=code)
    return _with_cookie(request, page, binding)


@router.post(DEVICE_PAGE)
async def device_sign_in(request: Request) -> Response:
    db = runtime_of(request).db
    form = await read_form(request)
    try:
        sign_in_pages.read_page(request.app.state.signing_key, DEVICE, form.get("page_token"),
                                request.cookies.get(sign_in_pages.COOKIE))
    except sign_in_pages.PageTokenError:
        return html.message("Sign-in failed", STALE_PAGE, 400)
    typed = form.get("user_code", "")[:64]
    username = form.get("username", "").strip()

    def again(error: str) -> Response:
        return html.sign_in_form(DEVICE_PAGE, form["page_token"], "an application on your device", username[:320],
                                 error, user_code=device_codes.normalize_user_code(typed))

    pending = await device_codes.pending_code(db, typed)
    if pending is None:
        return again(BAD_USER_CODE)
    if form.get("action") == "cancel":
        await device_codes.decide(db, pending, None)
        return html.message("Sign-in declined", "You declined to sign in on the device. You may close this window.")
    try:
        user = await sign_in(db, TenantRef("organizations", None), username, form.get("password", ""))
    except EntraError as error:
        return again(_credential_error(error))
    if not await device_codes.decide(db, pending, user.user_id):
        return again(BAD_USER_CODE)
    return html.message("Signed in", "You have signed in to the application on your device. You may now close "
                                     "this window.")
