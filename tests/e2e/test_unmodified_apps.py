"""Applications as Microsoft's documentation writes them, run unmodified against a real
`graphpost serve --proxy-port 0`: each in a child Python process whose code is the published
quickstart, given only its configuration values (tenant id, client id, secret, certificate file,
user name and password, as an application reads them from its settings) and the environment a
user sets (HTTPS_PROXY and graphpost's CA). Tokens come from graphpost's Entra-shaped endpoint as
login.microsoftonline.com (or a national cloud's sign-in host), mail goes through Graph's real
host names, and the test then reads the recipient's Inbox. Nothing leaves 127.0.0.1: every
connection the child makes goes to graphpost's proxy, which refuses any other host."""

from __future__ import annotations

import json
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from graphpost.auth import clouds
from tests.certificates import self_signed
from tests.e2e.proxied import ALICE, BOB, Proxied
from tests.e2e.server import ServerProcess, parse_field

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery"


class App:
    """An app as `graphpost app add … --certificate` printed it, and its key and certificate in
    one PEM file, as azure-identity's CertificateCredential takes them."""

    def __init__(self, output: str, certificate_file: Path) -> None:
        self.tenant_id = parse_field(output, "tenant_id")
        self.client_id = parse_field(output, "client_id")
        self.secret = parse_field(output, "client_secret")
        self.certificate_file = certificate_file


@pytest.fixture
def proxied(data_dir: Path) -> Iterator[Proxied]:
    with ServerProcess(data_dir, serve_args=["--proxy-port", "0"]) as server:
        yield Proxied(server)


@pytest.fixture
def app(proxied: Proxied, tmp_path: Path) -> App:
    pair = self_signed("mailer")
    certificate = tmp_path / "mailer-certificate.pem"
    certificate.write_text(pair.cert_pem)
    output = proxied.server.cli("app", "add", "mailer", "--permission", "Mail.Send", "--certificate", str(certificate))
    key_and_certificate = tmp_path / "mailer.pem"
    key_and_certificate.write_text(pair.key_pem + pair.cert_pem)
    return App(output, key_and_certificate)


@pytest.fixture
def alices_password(proxied: Proxied) -> str:
    done = proxied.server.run_cli("user", "passwd", ALICE, "--password-stdin", stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    return PASSWORD


def run(proxied: Proxied, tmp_path: Path, code: str, config: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The application, given its configuration as one JSON argument."""
    return proxied.run_application(textwrap.dedent(code), tmp_path, json.dumps(config))


def succeeds(proxied: Proxied, done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stdout + done.stderr + proxied.server.output()
    assert done.stdout.splitlines()[-1] == "sent", done.stdout
    # Every connection the application made was one the proxy serves: none tried another host.
    assert "proxy refused" not in proxied.server.output()


# The message every application sends: the msgraph-sdk README's sendMail example.
SDK_SEND = '''
    from msgraph.generated.models.body_type import BodyType
    from msgraph.generated.models.email_address import EmailAddress
    from msgraph.generated.models.item_body import ItemBody
    from msgraph.generated.models.message import Message
    from msgraph.generated.models.recipient import Recipient
    from msgraph.generated.users.item.send_mail.send_mail_post_request_body import SendMailPostRequestBody

    async def send_mail():
        request_body = SendMailPostRequestBody(
            message=Message(
                subject=config["subject"],
                body=ItemBody(content_type=BodyType.Text, content="Sent by an unmodified application."),
                to_recipients=[Recipient(email_address=EmailAddress(address=config["to"]))],
            ),
            save_to_sent_items=False,
        )
        await client.users.by_user_id(config["from"]).send_mail.post(request_body)
        print("sent")

    asyncio.run(send_mail())
'''

SDK_CLIENT_SECRET = '''
    import asyncio, json, sys
    from azure.identity import ClientSecretCredential
    from msgraph import GraphServiceClient

    config = json.loads(sys.argv[1])
    credential = ClientSecretCredential(config["tenant_id"], config["client_id"], config["client_secret"])
    scopes = ["https://graph.microsoft.com/.default"]
    client = GraphServiceClient(credential, scopes)
''' + SDK_SEND

SDK_CERTIFICATE = '''
    import asyncio, json, sys
    from azure.identity import CertificateCredential
    from msgraph import GraphServiceClient

    config = json.loads(sys.argv[1])
    credential = CertificateCredential(config["tenant_id"], config["client_id"], config["certificate_path"])
    scopes = ["https://graph.microsoft.com/.default"]
    client = GraphServiceClient(credential, scopes)
''' + SDK_SEND

SDK_USERNAME_PASSWORD = '''
    import asyncio, json, sys, warnings
    from azure.identity import UsernamePasswordCredential
    from msgraph import GraphServiceClient

    warnings.simplefilter("ignore", DeprecationWarning)   # the password grant is deprecated (no MFA)
    config = json.loads(sys.argv[1])
    credential = UsernamePasswordCredential(config["client_id"], config["username"], config["password"],
                                            tenant_id=config["tenant_id"])
    scopes = ["Mail.Send"]
    client = GraphServiceClient(credential, scopes)
''' + SDK_SEND

# Microsoft's national cloud snippet (msgraph-snippets-python, NationalCloudSnippet): the Graph
# host through GraphClientFactory, the sign-in host through azure-identity's authority.
SDK_NATIONAL_CLOUD = '''
    import asyncio, json, sys
    from azure.identity import AzureAuthorityHosts, ClientSecretCredential
    from kiota_authentication_azure.azure_identity_authentication_provider import (
        AzureIdentityAuthenticationProvider)
    from msgraph import GraphRequestAdapter, GraphServiceClient
    from msgraph_core import GraphClientFactory, NationalClouds

    config = json.loads(sys.argv[1])
    scopes = [config["scope"]]
    credential = ClientSecretCredential(config["tenant_id"], config["client_id"], config["client_secret"],
                                        authority=getattr(AzureAuthorityHosts, config["authority"]))
    auth_provider = AzureIdentityAuthenticationProvider(credential, scopes=scopes)
    http_client = GraphClientFactory.create_with_default_middleware(host=getattr(NationalClouds, config["cloud"]))
    adapter = GraphRequestAdapter(auth_provider, http_client)
    client = GraphServiceClient(request_adapter=adapter)
''' + SDK_SEND

# MSAL's own samples (ms-identity-python-daemon, username-password): a token, then Graph with requests.
MSAL_SEND = '''
    if "access_token" not in result:
        sys.exit(json.dumps(result))
    sent = requests.post(f"https://graph.microsoft.com/v1.0/users/{config['from']}/sendMail",
                         headers={"Authorization": "Bearer " + result["access_token"]},
                         json={"message": {"subject": config["subject"],
                                           "body": {"contentType": "Text", "content": "Sent with MSAL."},
                                           "toRecipients": [{"emailAddress": {"address": config["to"]}}]}})
    if sent.status_code != 202:
        sys.exit(sent.text)
    print("sent")
'''

MSAL_CONFIDENTIAL = '''
    import json, sys
    import msal, requests

    config = json.loads(sys.argv[1])
    app = msal.ConfidentialClientApplication(
        config["client_id"], authority="https://login.microsoftonline.com/" + config["tenant_id"],
        client_credential=config["client_secret"])
    result = app.acquire_token_for_client(scopes=["https://graph.microsoft.com/.default"])
''' + MSAL_SEND

MSAL_PUBLIC = '''
    import json, sys, warnings
    import msal, requests

    warnings.simplefilter("ignore", DeprecationWarning)
    config = json.loads(sys.argv[1])
    app = msal.PublicClientApplication(config["client_id"],
                                       authority="https://login.microsoftonline.com/organizations")
    result = None
    accounts = app.get_accounts(username=config["username"])
    if accounts:
        result = app.acquire_token_silent(["Mail.Send"], account=accounts[0])
    if not result:
        result = app.acquire_token_by_username_password(config["username"], config["password"],
                                                        scopes=["Mail.Send"])
''' + MSAL_SEND

# python-o365's README: the client-credentials flow, then a message from a user's mailbox.
O365_CREDENTIALS = '''
    import json, sys
    from O365 import Account

    config = json.loads(sys.argv[1])
    credentials = (config["client_id"], config["client_secret"])
    account = Account(credentials, auth_flow_type="credentials", tenant_id=config["tenant_id"])
    if account.authenticate():
        mailbox = account.mailbox(resource=config["from"])
        m = mailbox.new_message()
        m.to.add(config["to"])
        m.subject = config["subject"]
        m.body = "Sent with O365."
        if m.send(save_to_sent_folder=False):
            print("sent")
'''


def app_config(app: App, subject: str, **more: str) -> dict[str, str]:
    return {"tenant_id": app.tenant_id, "client_id": app.client_id, "client_secret": app.secret,
            "from": BOB, "to": ALICE, "subject": subject, **more}


def test_msgraph_sdk_quickstart_with_a_client_secret(proxied: Proxied, app: App, tmp_path: Path) -> None:
    succeeds(proxied, run(proxied, tmp_path, SDK_CLIENT_SECRET, app_config(app, "sdk with a secret")))
    assert "sdk with a secret" in proxied.inbox_subjects(ALICE)
    # The child asked login.microsoftonline.com and graph.microsoft.com, both answered by graphpost.
    log = proxied.server.output()
    assert f"POST /{app.tenant_id}/oauth2/v2.0/token 200" in log
    assert "POST /v1.0/users/bob@contoso.test/sendMail 202" in log


def test_msgraph_sdk_with_a_certificate_credential(proxied: Proxied, app: App, tmp_path: Path) -> None:
    config = app_config(app, "sdk with a certificate", certificate_path=str(app.certificate_file))
    succeeds(proxied, run(proxied, tmp_path, SDK_CERTIFICATE, config))
    assert "sdk with a certificate" in proxied.inbox_subjects(ALICE)


def test_msgraph_sdk_with_a_username_and_password(proxied: Proxied, app: App, alices_password: str,
                                                  tmp_path: Path) -> None:
    config = app_config(app, "sdk signed in as alice", username=ALICE, password=alices_password,
                        **{"from": ALICE, "to": BOB})
    succeeds(proxied, run(proxied, tmp_path, SDK_USERNAME_PASSWORD, config))
    assert "sdk signed in as alice" in proxied.inbox_subjects(BOB)
    # MSAL asked /common/userrealm/ on port 443 of login.microsoftonline.com: the proxy's.
    assert "GET /common/userrealm/alice@contoso.test" in proxied.server.output()


def test_msal_confidential_client_with_a_secret(proxied: Proxied, app: App, tmp_path: Path) -> None:
    succeeds(proxied, run(proxied, tmp_path, MSAL_CONFIDENTIAL, app_config(app, "msal confidential client")))
    assert "msal confidential client" in proxied.inbox_subjects(ALICE)


def test_msal_public_client_with_a_username_and_password(proxied: Proxied, app: App, alices_password: str,
                                                         tmp_path: Path) -> None:
    config = app_config(app, "msal public client", username=ALICE, password=alices_password,
                        **{"from": ALICE, "to": BOB})
    succeeds(proxied, run(proxied, tmp_path, MSAL_PUBLIC, config))
    assert "msal public client" in proxied.inbox_subjects(BOB)


NATIONAL = [(clouds.US_GOV, "US_GOV", "AZURE_GOVERNMENT"), (clouds.US_GOV_DOD, "US_DoD", "AZURE_GOVERNMENT"),
            (clouds.CHINA, "China", "AZURE_CHINA")]


@pytest.mark.parametrize(("cloud", "national_cloud", "authority"), NATIONAL, ids=lambda value: str(value))
def test_msgraph_sdk_in_a_national_cloud(proxied: Proxied, app: App, tmp_path: Path, cloud: clouds.Cloud,
                                         national_cloud: str, authority: str) -> None:
    subject = f"sdk in {cloud.name}"
    config = app_config(app, subject, scope=f"{cloud.audience}/.default", cloud=national_cloud, authority=authority)
    succeeds(proxied, run(proxied, tmp_path, SDK_NATIONAL_CLOUD, config))
    assert subject in proxied.inbox_subjects(ALICE, cloud)
    log = proxied.server.output()
    assert f"POST /{app.tenant_id}/oauth2/v2.0/token 200" in log


def test_o365_with_its_client_credentials_flow(proxied: Proxied, app: App, tmp_path: Path) -> None:
    succeeds(proxied, run(proxied, tmp_path, O365_CREDENTIALS, app_config(app, "o365 credentials flow")))
    assert "o365 credentials flow" in proxied.inbox_subjects(ALICE)


# --- refusals, as the unmodified application sees them


def test_a_wrong_secret_fails_in_the_application_with_entras_error(proxied: Proxied, app: App,
                                                                   tmp_path: Path) -> None:
    config = {**app_config(app, "never sent"), "client_secret": "not-the-secret"}
    done = run(proxied, tmp_path, SDK_CLIENT_SECRET, config)
    assert done.returncode != 0
    assert "ClientAuthenticationError" in done.stderr and "AADSTS7000215" in done.stderr, done.stderr
    assert "never sent" not in proxied.inbox_subjects(ALICE)


def test_a_token_of_one_cloud_is_refused_on_another_clouds_graph(proxied: Proxied, app: App,
                                                                 tmp_path: Path) -> None:
    # Signed in to the global cloud, sent to US Government's Graph: a misconfigured application.
    config = app_config(app, "wrong cloud", scope="https://graph.microsoft.com/.default", cloud="US_GOV",
                        authority="AZURE_PUBLIC_CLOUD")
    done = run(proxied, tmp_path, SDK_NATIONAL_CLOUD, config)
    assert done.returncode != 0
    # msgraph-sdk raises Graph's error: 401 InvalidAuthenticationToken, "Invalid audience."
    assert "ODataError: Invalid audience. (status 401)" in done.stderr, done.stderr
    assert "wrong cloud" not in proxied.inbox_subjects(ALICE)


def test_a_login_host_refuses_another_clouds_scope(proxied: Proxied, app: App, tmp_path: Path) -> None:
    # US Government's scope asked of the global sign-in host: Entra's invalid_resource.
    config = app_config(app, "wrong login host", scope="https://graph.microsoft.us/.default", cloud="US_GOV",
                        authority="AZURE_PUBLIC_CLOUD")
    done = run(proxied, tmp_path, SDK_NATIONAL_CLOUD, config)
    assert done.returncode != 0
    assert "AADSTS500011" in done.stderr, done.stderr
