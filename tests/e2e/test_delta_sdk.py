"""Delta rounds as msgraph-sdk and msgraph-beta-sdk make them, against the pytest plugin's
session `graphpost serve` (TLS): the delta request builder's first request, `with_url` on each
@odata.nextLink, then on the @odata.deltaLink after changes, for a user of the test's own."""

from __future__ import annotations

import ssl
from types import SimpleNamespace
from typing import Any, AsyncIterator, Callable

import httpx
import pytest
from kiota_abstractions.base_request_configuration import RequestConfiguration

from graphpost.pytest_plugin import GraphpostServer
from tests.e2e.conftest import SdkClients

pytestmark = pytest.mark.e2e


@pytest.fixture
async def sdk(graphpost_server: GraphpostServer, graphpost_env: dict[str, str]) -> AsyncIterator[SdkClients]:
    # graphpost_env: the SDK's httpx client trusts the server's CA (SSL_CERT_FILE) when it is made.
    clients = SdkClients(SimpleNamespace(base_url=graphpost_server.url))  # type: ignore[arg-type]
    yield clients
    await clients.aclose()


class Mail:
    """Plain HTTP to put mail in place and change it."""

    def __init__(self, server: GraphpostServer, token: Callable[..., str]) -> None:
        self.http = httpx.Client(base_url=server.url, verify=ssl.create_default_context(cafile=str(server.ca_path)),
                                 timeout=30.0, trust_env=False)
        self.token = token

    def call(self, method: str, path: str, user: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, f"/v1.0/me/{path}",
                                 headers={"Authorization": f"Bearer {self.token(user)}"}, **kwargs)

    def send(self, sender: str, to: str, subject: str) -> None:
        response = self.call("POST", "sendMail", sender, json={"message": {
            "subject": subject, "toRecipients": [{"emailAddress": {"address": to}}]}})
        assert response.status_code == 202, response.text


async def _round(builder: Any, config: RequestConfiguration[Any],
                 first_url: str | None = None) -> tuple[list[Any], str, int]:
    page = await (builder.with_url(first_url).get(request_configuration=config) if first_url
                  else builder.get(request_configuration=config))
    items, pages = list(page.value or []), 1
    while page.odata_next_link:
        page = await builder.with_url(page.odata_next_link).get(request_configuration=config)
        items += page.value or []
        pages += 1
    assert page.odata_delta_link
    return items, page.odata_delta_link, pages


@pytest.mark.parametrize("version", ["v1", "beta"])
async def test_the_sdks_delta_builders_follow_two_rounds(sdk: SdkClients, graphpost_server: GraphpostServer,
                                                         graphpost_user: Callable[..., str],
                                                         graphpost_token: Callable[..., str], version: str) -> None:
    user, sender = graphpost_user(), graphpost_user()
    mail = Mail(graphpost_server, lambda who: graphpost_token(who))
    try:
        for n in range(3):
            mail.send(sender, user, f"Round one {n}")
        token = graphpost_token(user)
        # msgraph-beta-sdk's `me` is a method.
        me = sdk.v1(token).me if version == "v1" else sdk.beta(token).me()
        builder = me.mail_folders.by_mail_folder_id("inbox").messages.delta
        config: RequestConfiguration[Any] = RequestConfiguration()
        config.headers.add("Prefer", "odata.maxpagesize=2")
        first, delta_link, pages = await _round(builder, config)
        assert pages == 2
        assert sorted(message.subject for message in first) == [f"Round one {n}" for n in range(3)]
        ids = {message.subject: message.id for message in first}

        mail.send(sender, user, "Round two")
        assert mail.call("PATCH", f"messages/{ids['Round one 0']}", user, json={"isRead": True}).status_code == 200
        assert mail.call("DELETE", f"messages/{ids['Round one 1']}", user).status_code == 204

        second, next_delta, _ = await _round(builder, RequestConfiguration(), delta_link)
        current = {message.subject: message for message in second if message.subject}
        assert set(current) == {"Round one 0", "Round two"}
        assert current["Round one 0"].is_read is True
        [removed] = [message for message in second if not message.subject]
        assert removed.id == ids["Round one 1"]
        assert removed.additional_data["@removed"] == {"reason": "deleted"}
        quiet, _, _ = await _round(builder, RequestConfiguration(), next_delta)
        assert quiet == []
    finally:
        mail.http.close()
