"""Change notification subscriptions: /subscriptions, as Graph's for Outlook mail resources."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
from fastapi import APIRouter, Request, Response

from graphpost.api import users
from graphpost.api.auth import authenticate
from graphpost.api.bodies import json_object, no_body
from graphpost.api.resources import odata_context, subscription_resource
from graphpost.api.responses import GraphJSONResponse
from graphpost.api.runtime import runtime_of
from graphpost.auth.permissions import Principal
from graphpost.notifications import requests, subscriptions
from graphpost.notifications.subscriptions import Creator, Subscription
from graphpost.notifications.validation import HandshakeValidator

router = APIRouter()
# Outlook resources need a read permission on the mailbox; the *.Shared ones are not supported
# for subscriptions (Learn, "Change notifications for Outlook resources").
READ = ("Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite")


def _creator(caller: Principal) -> Creator:
    return Creator(caller.tenant_id, caller.app_id, caller.user_id if caller.is_delegated else None)


def _entity(request: Request, subscription: Subscription, status: int = 200) -> GraphJSONResponse:
    return GraphJSONResponse({"@odata.context": odata_context(request, "subscriptions/$entity"),
                              **subscription_resource(subscription)}, status_code=status)


@router.post("/subscriptions", status_code=201)
async def create_subscription(request: Request) -> GraphJSONResponse:
    caller = await authenticate(request)
    rt = runtime_of(request)
    asked = requests.parse_create(await json_object(request), datetime.now(timezone.utc),
                                  rt.settings.notification_allow_http)
    caller.require(*READ)
    owner = await users.mailbox_owner(rt, caller, asked.watched.user_ref,
                                      getattr(request.state, "signed_in_user", None))
    async with httpx.AsyncClient() as client:
        validator = HandshakeValidator(client, rt.settings.notification_validation_timeout.total_seconds())
        created = await subscriptions.create(rt.db, _creator(caller), owner.id, asked, validator)
    return _entity(request, created, 201)


@router.get("/subscriptions")
async def list_subscriptions(request: Request) -> GraphJSONResponse:
    caller = await authenticate(request)
    found = await subscriptions.listed(runtime_of(request).db, _creator(caller))
    return GraphJSONResponse({"@odata.context": odata_context(request, "subscriptions"),
                              "value": [subscription_resource(item) for item in found]})


@router.get("/subscriptions/{subscription_id}")
async def get_subscription(request: Request, subscription_id: str) -> GraphJSONResponse:
    caller = await authenticate(request)
    return _entity(request, await subscriptions.get(runtime_of(request).db, _creator(caller), subscription_id))


@router.patch("/subscriptions/{subscription_id}")
async def renew_subscription(request: Request, subscription_id: str) -> GraphJSONResponse:
    caller = await authenticate(request)
    expires_at = requests.parse_renewal(await json_object(request), datetime.now(timezone.utc))
    renewed = await subscriptions.renew(runtime_of(request).db, _creator(caller), subscription_id, expires_at)
    return _entity(request, renewed)


@router.delete("/subscriptions/{subscription_id}", status_code=204)
async def delete_subscription(request: Request, subscription_id: str) -> Response:
    caller = await authenticate(request)
    await subscriptions.delete(runtime_of(request).db, _creator(caller), subscription_id)
    return Response(status_code=204)


@router.post("/subscriptions/{subscription_id}/reauthorize", status_code=204)
async def reauthorize_subscription(request: Request, subscription_id: str) -> Response:
    caller = await authenticate(request)
    await no_body(request)
    await subscriptions.reauthorize(runtime_of(request).db, _creator(caller), subscription_id)
    return Response(status_code=204)
