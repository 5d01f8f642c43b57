"""The plugin's fixtures as a project that has graphpost installed uses them: each test here runs
a small test file in a pytest process of its own (pytester), which finds the fixtures by their
names through the pytest11 entry point alone (no conftest, no import of the plugin)."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.e2e

# The inner runs must not inherit a proxy or CA of the outer environment: what they see of those
# is what graphpost_env sets.
OUTER_VARIABLES = ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE",
                   "CURL_CA_BUNDLE")


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in OUTER_VARIABLES:
        monkeypatch.delenv(name, raising=False)


SEND_AND_READ = textwrap.dedent('''
    import json, os
    import httpx
    from azure.identity import ClientSecretCredential

    def test_alice_mails_a_new_user_through_graphs_real_host_name(graphpost_env, graphpost_token, graphpost_user,
                                                                  graphpost_mailbox, graphpost_server):
        carol = graphpost_user("Carol Diaz")
        with httpx.Client() as http:   # HTTPS_PROXY and SSL_CERT_FILE come from graphpost_env
            sent = http.post("https://graph.microsoft.com/v1.0/me/sendMail",
                             headers={"Authorization": f"Bearer {graphpost_token('alice@contoso.test')}"},
                             json={"message": {"subject": "Lunch?", "body": {"content": "At noon."},
                                               "toRecipients": [{"emailAddress": {"address": carol}}]}})
        assert sent.status_code == 202, sent.text
        [received] = graphpost_mailbox(carol)
        assert received["subject"] == "Lunch?" and received["body"]["content"] == "At noon."
        assert received["from"]["emailAddress"]["address"] == "alice@contoso.test"
        assert graphpost_mailbox(carol, "sentitems") == []
        assert "Lunch?" in [m["subject"] for m in graphpost_mailbox("alice@contoso.test", "sentitems")]
        # For the outer test: the process and the data directory, which must be gone after the run.
        with open(os.environ["PLUGIN_RECORD"], "w") as record:
            json.dump({"pid": graphpost_server.process.pid, "data_dir": str(graphpost_server.data_dir),
                       "url": graphpost_server.url, "environ": graphpost_env}, record)

    def test_an_app_sends_as_a_user_with_the_secret_azure_identity_exchanges(graphpost_env, graphpost_app,
                                                                           graphpost_user, graphpost_mailbox):
        dave = graphpost_user()
        app = graphpost_app(permissions=["Mail.Send"])
        credential = ClientSecretCredential(app.tenant_id, app.client_id, app.client_secret)
        token = credential.get_token("https://graph.microsoft.com/.default").token
        with httpx.Client() as http:
            sent = http.post(f"https://graph.microsoft.com/v1.0/users/{dave}/sendMail",
                             headers={"Authorization": f"Bearer {token}"},
                             json={"message": {"subject": "From the app",
                                               "toRecipients": [{"emailAddress": {"address": dave}}]}})
        assert sent.status_code == 202, sent.text
        assert [m["subject"] for m in graphpost_mailbox(dave)] == ["From the app"]

    def test_an_app_token_reaches_only_what_its_permissions_allow(graphpost_server, graphpost_app, graphpost_token):
        reader = graphpost_app(permissions=["Mail.Read"])
        token = graphpost_token(app=reader)
        inbox = httpx.get(f"{graphpost_server.url}/v1.0/users/bob@contoso.test/mailFolders/inbox",
                          headers={"Authorization": f"Bearer {token}"}, verify=str(graphpost_server.ca_path))
        assert inbox.status_code == 200, inbox.text
        sent = httpx.post(f"{graphpost_server.url}/v1.0/users/bob@contoso.test/sendMail",
                          headers={"Authorization": f"Bearer {token}"}, verify=str(graphpost_server.ca_path),
                          json={"message": {"subject": "no", "toRecipients": [{"emailAddress": {"address": "x@contoso.test"}}]}})
        assert sent.status_code == 403, sent.text

    def test_the_environment_is_undone_after_the_test_that_set_it():
        assert not {"HTTPS_PROXY", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "NO_PROXY"} & set(os.environ)
''')


def test_the_fixtures_send_and_read_mail_against_a_real_server(pytester: pytest.Pytester, clean_environ: None,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    record = pytester.path / "record.json"
    monkeypatch.setenv("PLUGIN_RECORD", str(record))
    pytester.makepyfile(test_app=SEND_AND_READ)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    seen = json.loads(record.read_text())
    assert seen["url"].startswith("https://127.0.0.1:")
    proxy = seen["environ"]["HTTPS_PROXY"]
    assert proxy.startswith("http://127.0.0.1:") and proxy != seen["url"].replace("https", "http")
    ca = str(Path(seen["data_dir"]) / "ca" / "ca.pem")
    assert seen["environ"] == {"HTTPS_PROXY": proxy, "https_proxy": proxy, "SSL_CERT_FILE": ca,
                               "REQUESTS_CA_BUNDLE": ca, "CURL_CA_BUNDLE": ca,
                               "NO_PROXY": "127.0.0.1,localhost,::1", "no_proxy": "127.0.0.1,localhost,::1"}
    # The session's end stopped the server and deleted its store.
    assert not Path(seen["data_dir"]).exists()
    with pytest.raises(ProcessLookupError):
        os.kill(seen["pid"], 0)


def test_one_server_serves_the_whole_session(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_twice=textwrap.dedent('''
        import pytest
        urls = []

        @pytest.mark.parametrize("run", [1, 2])
        def test_server(graphpost_server, run):
            urls.append(graphpost_server.url)
            assert len(set(urls)) == 1
    '''))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_nothing_starts_for_a_session_that_asks_for_no_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=textwrap.dedent('''
        import os
        from pathlib import Path

        def test_no_child_process():
            children = [pid for task in Path(f"/proc/{os.getpid()}/task").iterdir()
                        for pid in (task / "children").read_text().split()]
            assert children == []
    '''))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--fixtures")
    result.stdout.fnmatch_lines(["graphpost_server [[]session scope[]]*", "graphpost_mailbox*", "graphpost_env*"])
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_server_that_cannot_start_fails_the_tests_with_its_output(pytester: pytest.Pytester) -> None:
    missing = pytester.path / "missing.pem"
    pytester.makeini(f"[pytest]\ngraphpost_serve_args = --tls-cert {missing}\n")
    pytester.makepyfile(test_broken=textwrap.dedent('''
        def test_uses_the_server(graphpost_server):
            pass
    '''))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*graphpost serve did not report the address it listens on (exit code 2)*",
                                 f"*err| graphpost: cannot read the TLS certificate {missing}: No such file*"])
