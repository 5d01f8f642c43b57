"""Paths with repeated slashes, as msgraph-sdk-python sends them (`/v1.0//users/…`), are served
as Graph serves them."""

import httpx

from tests.api.mail_helpers import ALICE, BOB
from tests.tokens import TokenMint


async def test_a_doubled_slash_after_the_version_is_read_as_one(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    response = await client.get("/v1.0//me", headers=await tokens.header())
    assert response.status_code == 200
    assert response.json()["@odata.context"] == "http://graph.test/v1.0/$metadata#users/$entity"


async def test_send_mail_with_doubled_slashes_is_delivered(client: httpx.AsyncClient, tokens: TokenMint) -> None:
    sent = await client.post(f"/v1.0//users//{ALICE}/sendMail", headers=await tokens.header(), json={
        "message": {"subject": "slashes", "toRecipients": [{"emailAddress": {"address": BOB}}]}})
    assert sent.status_code == 202, sent.text
    inbox = await client.get("/v1.0/me/mailFolders/inbox/messages", headers=await tokens.header(BOB))
    assert [message["subject"] for message in inbox.json()["value"]] == ["slashes"]
