"""The bearer-token dependency: who is calling, with which permissions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from graphpost.api.runtime import runtime_of
from graphpost.auth.clouds import cloud_for_request
from graphpost.auth.permissions import Principal, PrincipalKind
from graphpost.directory import service as directory
from graphpost.errors import InvalidAuthenticationToken


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if not header or scheme.lower() != "bearer" or not token.strip():
        raise InvalidAuthenticationToken("Access token is empty." if not header.strip()
                                         else "Access token validation failure. Invalid authorization scheme.")
    return token.strip()


async def authenticate(request: Request) -> Principal:
    rt = runtime_of(request)
    # A token is good on the Graph of the cloud it was issued for: the request's Host says which
    # (graph.microsoft.us through the proxy is US Government; graphpost's own address is global).
    cloud = cloud_for_request(request.headers.get("host", ""))
    claims = rt.verifier.verify(_bearer_token(request), cloud.accepted_audiences)
    tenant_id, app_id = str(claims["tid"]), str(claims.get("appid") or claims.get("azp") or "")
    if "scp" in claims:
        oid = str(claims.get("oid", ""))
        user = await rt.recent_users.get((tenant_id, oid), lambda: directory.user_for_token(rt.db, tenant_id, oid))
        if user is None:
            raise InvalidAuthenticationToken("Access token validation failure. Invalid issuer or tenant.")
        # Kept for /me, which would otherwise look the same user up a second time.
        request.state.signed_in_user = user
        return Principal(PrincipalKind.DELEGATED, tenant_id, app_id,
                         frozenset(str(claims["scp"]).split()), user_id=user.id)
    app = await rt.recent_apps.get((tenant_id, app_id), lambda: directory.app_for_token(rt.db, tenant_id, app_id))
    if app is None:
        raise InvalidAuthenticationToken("Access token validation failure. Invalid issuer or tenant.")
    roles = claims["roles"] if isinstance(claims["roles"], list) else []
    return Principal(PrincipalKind.APPLICATION, tenant_id, app.client_id, frozenset(map(str, roles)))


Caller = Annotated[Principal, Depends(authenticate)]
