"""Tokens from graphpost's identity endpoint through the real client libraries, configured only
(authority, instance discovery off, the CA to trust), against a real `graphpost serve --tls` at
its own address: MSAL's ConfidentialClientApplication and azure-identity's credentials, with the
secret and the certificate `graphpost app add` registered; and a user's password (`graphpost user
passwd`) through UsernamePasswordCredential and MSAL's PublicClientApplication at their default
authority, login.microsoftonline.com, reached through the same server's proxy. The tokens then
send mail. (tests/e2e/test_unmodified_apps.py runs the published quickstarts in child processes.)"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any, Iterator

import httpx
import msal
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (
    CertificateCredential,
    ClientSecretCredential,
    UsernamePasswordCredential,
)
from cryptography.hazmat.primitives import hashes

from tests.certificates import KeyPair, self_signed
from tests.e2e.proxied import Proxied
from tests.e2e.server import ServerProcess, parse_field

pytestmark = pytest.mark.e2e

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


class Registered:
    """An app as `graphpost app add --certificate` printed it."""

    def __init__(self, output: str, pair: KeyPair) -> None:
        self.tenant_id = parse_field(output, "tenant_id")
        self.client_id = parse_field(output, "client_id")
        self.secret = parse_field(output, "client_secret")
        self.thumbprint = parse_field(output, "certificate_thumbprint")
        self.pair = pair


@pytest.fixture
def server(data_dir: Path) -> Iterator[ServerProcess]:
    """graphpost over HTTPS at its own address, with its proxy for Graph's and Entra's hosts."""
    with ServerProcess(data_dir, serve_args=["--tls", "--proxy-port", "0"]) as running:
        yield running


@pytest.fixture
def front(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> ServerProcess:
    # The CA is trusted the way a user trusts graphpost's: through the environment, which MSAL's
    # and azure-identity's requests read (and which wins over a session's own `verify`).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.cli("ca").strip())
    return server


def trusting(server: ServerProcess) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=server.cli("ca").strip())


@pytest.fixture
def registered(server: ServerProcess, tmp_path: Path) -> Registered:
    pair = self_signed("mailer")
    pem = tmp_path / "mailer.pem"
    pem.write_text(pair.cert_pem)
    output = server.cli("app", "add", "mailer", "--permission", "Mail.Send", "--permission", "Mail.ReadWrite",
                        "--certificate", str(pem))
    return Registered(output, pair)


def msal_app(front: ServerProcess, client_id: str, credential: Any,
             tenant: str) -> msal.ConfidentialClientApplication:
    # Configuration only: the authority, and no instance discovery (graphpost is no host
    # Microsoft lists).
    return msal.ConfidentialClientApplication(client_id, client_credential=credential,
                                              authority=f"{front.base_url}/{tenant}", instance_discovery=False)


def send_and_read(front: ServerProcess, token: str, subject: str) -> None:
    """sendMail from bob to alice with the token (202), then the message is in alice's Inbox."""
    with httpx.Client(base_url=front.base_url, verify=trusting(front), timeout=10,
                      headers={"Authorization": f"Bearer {token}"}) as graph:
        sent = graph.post("/v1.0/users/bob@contoso.test/sendMail", json={"message": {
            "subject": subject, "body": {"content": "sent with a token from graphpost's token endpoint"},
            "toRecipients": [{"emailAddress": {"address": "alice@contoso.test"}}]}})
        assert sent.status_code == 202, sent.text
        inbox = graph.get("/v1.0/users/alice@contoso.test/mailFolders/inbox/messages",
                          params={"$select": "subject"})
        assert subject in [message["subject"] for message in inbox.json()["value"]]


@pytest.mark.parametrize("tenant", ["id", "contoso.test"])
def test_msal_gets_a_token_with_the_printed_secret_and_sends_mail(front: ServerProcess,
                                                                   registered: Registered, tenant: str) -> None:
    authority_tenant = registered.tenant_id if tenant == "id" else tenant
    client = msal_app(front, registered.client_id, registered.secret, authority_tenant)
    result = client.acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    assert result.get("token_type") == "Bearer", result
    send_and_read(front, result["access_token"], f"msal secret via {tenant}")
    # A second call is answered from MSAL's cache: the token it kept is the one graphpost issued.
    again = client.acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    assert again["access_token"] == result["access_token"] and again["token_source"] == "cache"


@pytest.mark.parametrize("form", ["public_certificate", "thumbprint"])
def test_msal_gets_a_token_with_the_registered_certificate(front: ServerProcess,
                                                           registered: Registered, form: str) -> None:
    # With the certificate MSAL signs PS256 and names it by x5t#S256; with a thumbprint, RS256 and x5t.
    credential: dict[str, str] = {"private_key": registered.pair.key_pem}
    if form == "public_certificate":
        credential["public_certificate"] = registered.pair.cert_pem
    else:
        credential["thumbprint"] = registered.thumbprint
    client = msal_app(front, registered.client_id, credential, registered.tenant_id)
    result = client.acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    assert result.get("token_type") == "Bearer", result
    send_and_read(front, result["access_token"], f"msal certificate ({form})")


def test_azure_identity_credentials_get_tokens_that_send_mail(front: ServerProcess,
                                                              registered: Registered, tmp_path: Path) -> None:
    options: dict[str, Any] = {"authority": front.base_url, "disable_instance_discovery": True}
    secret = ClientSecretCredential(registered.tenant_id, registered.client_id, registered.secret, **options)
    send_and_read(front, secret.get_token(GRAPH_DEFAULT).token, "azure-identity secret")
    pem = tmp_path / "key-and-cert.pem"
    pem.write_text(registered.pair.key_pem + registered.pair.cert_pem)
    certificate = CertificateCredential(registered.tenant_id, registered.client_id, str(pem), **options)
    send_and_read(front, certificate.get_token(GRAPH_DEFAULT).token, "azure-identity certificate")


def test_msal_sees_entras_refusals(front: ServerProcess, registered: Registered) -> None:
    wrong = msal_app(front, registered.client_id, "not-the-secret", registered.tenant_id)
    result = wrong.acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    assert (result["error"], result["error_codes"]) == ("invalid_client", [7000215])
    unknown = msal_app(front, "5d3c3d3e-1111-4222-8333-944455556666", registered.secret,
                       registered.tenant_id)
    result = unknown.acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    assert (result["error"], result["error_codes"]) == ("unauthorized_client", [700016])
    right = msal_app(front, registered.client_id, registered.secret, registered.tenant_id)
    result = right.acquire_token_for_client(scopes=["https://graph.microsoft.com/Mail.Send"])
    assert (result["error"], result["error_codes"]) == ("invalid_scope", [1002012])
    impostor = self_signed("impostor")
    forged = msal_app(front, registered.client_id,
                      {"private_key": impostor.key_pem,
                       "thumbprint": registered.pair.fingerprint(hashes.SHA1()).hex()}, registered.tenant_id)
    result = forged.acquire_token_for_client(scopes=[GRAPH_DEFAULT])
    assert (result["error"], result["error_codes"]) == ("invalid_client", [700027])
    with pytest.raises(ValueError, match="Unable to get authority configuration") as refused:
        msal_app(front, registered.client_id, registered.secret, "nowhere.test")
    # MSAL raises its own words, from the ValueError that carries graphpost's answer.
    assert "AADSTS90002" in str(refused.value.__context__)


def test_azure_identity_reports_a_wrong_secret(front: ServerProcess,
                                               registered: Registered) -> None:
    credential = ClientSecretCredential(registered.tenant_id, registered.client_id, "not-the-secret",
                                        authority=front.base_url, disable_instance_discovery=True)
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        credential.get_token(GRAPH_DEFAULT)


PASSWORD = "correct horse battery"


@pytest.fixture
def login_host(server: ServerProcess, monkeypatch: pytest.MonkeyPatch) -> Proxied:
    """The environment of an application run against graphpost's proxy: login.microsoftonline.com
    is graphpost, on port 443 as the real one is. MSAL asks `/common/userrealm/` before a password
    sign-in on port 443 of the authority's host whatever the authority's port (msal/authority.py,
    user_realm_discovery), which graphpost at its own address cannot answer."""
    proxied = Proxied(server)
    for name, value in proxied.environment().items():
        monkeypatch.setenv(name, value)
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    return proxied


def set_password(server: ServerProcess, upn: str, password: str) -> None:
    done = server.run_cli("user", "passwd", upn, "--password-stdin", stdin=password + "\n")
    assert done.returncode == 0, done.stderr


def send_as_me(proxied: Proxied, token: str, subject: str) -> None:
    """sendMail from the signed-in user (/me) to bob on graph.microsoft.com: 202."""
    with proxied.client() as graph:
        sent = graph.post("https://graph.microsoft.com/v1.0/me/sendMail", headers={"Authorization": f"Bearer {token}"},
                          json={"message": {
            "subject": subject, "body": {"content": "signed in with a password at graphpost's token endpoint"},
            "toRecipients": [{"emailAddress": {"address": "bob@contoso.test"}}]}})
        assert sent.status_code == 202, sent.text


# The password grant is deprecated by both libraries (no MFA); it is what the issue asks to serve.
@pytest.mark.filterwarnings("ignore::DeprecationWarning:azure.identity.*", "ignore::DeprecationWarning:msal.*",
                            "ignore:UsernamePasswordCredential is deprecated:DeprecationWarning")
def test_username_password_credential_signs_in_and_sends_mail(server: ServerProcess, login_host: Proxied,
                                                                registered: Registered) -> None:
    set_password(server, "alice@contoso.test", PASSWORD)
    credential = UsernamePasswordCredential(registered.client_id, "alice@contoso.test", PASSWORD)
    token = credential.get_token("https://graph.microsoft.com/Mail.Send")
    send_as_me(login_host, token.token, "UsernamePasswordCredential")
    assert credential.get_token("https://graph.microsoft.com/Mail.Send").token == token.token  # from its cache
    wrong = UsernamePasswordCredential(registered.client_id, "alice@contoso.test", "wrong horse battery")
    with pytest.raises(ClientAuthenticationError, match="AADSTS50126"):
        wrong.get_token("https://graph.microsoft.com/Mail.Send")


@pytest.mark.filterwarnings("ignore::DeprecationWarning:msal.*")
def test_msal_public_client_signs_in_with_a_password(server: ServerProcess, login_host: Proxied,
                                                     registered: Registered) -> None:
    set_password(server, "alice@contoso.test", PASSWORD)
    client = msal.PublicClientApplication(registered.client_id,
                                          authority="https://login.microsoftonline.com/organizations")
    result = client.acquire_token_by_username_password("alice@contoso.test", PASSWORD, scopes=["Mail.Send"])
    assert result.get("token_type") == "Bearer", result
    assert result["id_token_claims"]["preferred_username"] == "alice@contoso.test"
    (account,) = client.get_accounts()
    assert account["username"] == "alice@contoso.test"
    send_as_me(login_host, result["access_token"], "MSAL public client")
