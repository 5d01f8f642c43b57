"""A client process that trusts graphpost's HTTPS only through the environment, as an application
would once SSL_CERT_FILE names the local CA: httpx with its default verification, then
msgraph-sdk's own request adapter. Run as `python -m tests.e2e.https_client BASE_URL`, with the
token in GRAPHPOST_TEST_TOKEN; prints one JSON line of what it read, or fails with the ssl error."""

from __future__ import annotations

import asyncio
import json
import os
import sys

import httpx
from kiota_abstractions.authentication import BaseBearerTokenAuthenticationProvider
from msgraph import GraphServiceClient
from msgraph.graph_request_adapter import GraphRequestAdapter

from tests.e2e.conftest import StaticTokenProvider, close_sdk_http_client


async def main(base_url: str, token: str) -> dict[str, object]:
    # No verify= argument: httpx's default context, which takes SSL_CERT_FILE from the environment.
    async with httpx.AsyncClient() as plain:
        answer = await plain.get(base_url + "/v1.0/me", headers={"Authorization": f"Bearer {token}"})
    adapter = GraphRequestAdapter(BaseBearerTokenAuthenticationProvider(StaticTokenProvider(token)))
    adapter.base_url = base_url + "/v1.0"
    try:
        me = await GraphServiceClient(request_adapter=adapter).me.get()
    finally:
        await close_sdk_http_client(adapter._http_client)
    assert me is not None
    return {"httpx_status": answer.status_code, "httpx_upn": answer.json().get("userPrincipalName"),
            "sdk_upn": me.user_principal_name}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], os.environ["GRAPHPOST_TEST_TOKEN"]))))
