"""Users and apps through their whole life on the command line: add, list, disable, remove."""

import sqlite3
from importlib.metadata import version
from pathlib import Path

from tests.cli.conftest import run


def _table(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines()]


def test_version_prints_the_installed_version() -> None:
    assert run("--version") == (0, f"graphpost {version('graphpost')}\n")


def test_user_add_says_what_it_made(tmp_path: Path) -> None:
    code, output = run("user", "add", "carol@contoso.test", "--name", "Carol Diaz", "--data-dir", str(tmp_path))
    assert code == 0
    assert output.startswith("added user carol@contoso.test (Carol Diaz) with a mailbox, id ")
    carol_id = output.split()[-1]
    assert [carol_id, "carol@contoso.test", "Carol", "Diaz", "true"] in _table(run("user", "list", "--data-dir",
                                                                                   str(tmp_path))[1])


def test_user_list_starts_with_a_header(tmp_path: Path) -> None:
    run("db", "upgrade", "--data-dir", str(tmp_path))
    run("user", "add", "carol@contoso.test", "--data-dir", str(tmp_path))
    code, output = run("user", "list", "--data-dir", str(tmp_path))
    assert code == 0
    assert _table(output)[0] == ["id", "userPrincipalName", "displayName", "accountEnabled"]
    assert [row[1] for row in _table(output)[1:]] == ["alice@contoso.test", "bob@contoso.test", "carol@contoso.test"]


def test_outbox_list_starts_with_a_header(tmp_path: Path) -> None:
    run("db", "upgrade", "--data-dir", str(tmp_path))
    code, output = run("outbox", "list", "--data-dir", str(tmp_path))
    assert (code, _table(output)) == (0, [["entry", "internetMessageId", "sender", "recipient", "state", "created"]])


def test_user_remove_deletes_the_user_and_its_mailbox(tmp_path: Path) -> None:
    carol_id = run("user", "add", "carol@contoso.test", "--data-dir", str(tmp_path))[1].split()[-1]
    assert run("user", "remove", "carol@contoso.test", "--data-dir", str(tmp_path)) == (
        0, "removed user carol@contoso.test and its mailbox\n")
    assert "carol@contoso.test" not in run("user", "list", "--data-dir", str(tmp_path))[1]
    with sqlite3.connect(tmp_path / "graphpost.db") as conn:
        assert conn.execute("SELECT count(*) FROM folders WHERE user_id = ?", (carol_id,)).fetchone() == (0,)
    code, output = run("token", "--user", "carol@contoso.test", "--data-dir", str(tmp_path))
    assert (code, output) == (2, "graphpost: no user carol@contoso.test (see: graphpost user list)\n")
    code, output = run("user", "remove", "carol@contoso.test", "--data-dir", str(tmp_path))
    assert (code, output) == (2, "graphpost: no user carol@contoso.test (see: graphpost user list)\n")


def test_a_disabled_user_gets_no_token_until_enabled_again(tmp_path: Path) -> None:
    run("user", "add", "carol@contoso.test", "--data-dir", str(tmp_path))
    assert run("user", "disable", "CAROL@contoso.test", "--data-dir", str(tmp_path)) == (
        0, "disabled user carol@contoso.test\n")
    assert ["carol@contoso.test", "Carol", "false"] in [row[1:] for row in _table(
        run("user", "list", "--data-dir", str(tmp_path))[1])]
    code, output = run("token", "--user", "carol@contoso.test", "--data-dir", str(tmp_path))
    assert (code, output) == (2, "graphpost: the user carol@contoso.test is disabled "
                                 "(graphpost user enable carol@contoso.test)\n")
    assert run("user", "enable", "carol@contoso.test", "--data-dir", str(tmp_path))[0] == 0
    code, output = run("token", "--user", "carol@contoso.test", "--data-dir", str(tmp_path))
    assert code == 0 and output.count(".") == 2


def test_app_remove_deletes_the_registration(tmp_path: Path) -> None:
    code, output = run("app", "add", "ci", "--permission", "Mail.Send", "--data-dir", str(tmp_path))
    client_id = dict(line.split(": ", 1) for line in output.splitlines())["client_id"]
    assert run("app", "remove", client_id, "--data-dir", str(tmp_path)) == (0, f"removed app {client_id} (ci)\n")
    assert _table(run("app", "list", "--data-dir", str(tmp_path))[1]) == [["clientId", "displayName", "permissions"]]
    code, output = run("token", "--app", client_id, "--data-dir", str(tmp_path))
    assert (code, output) == (2, f"graphpost: no app with client id {client_id} (see: graphpost app list)\n")
    code, output = run("app", "remove", client_id, "--data-dir", str(tmp_path))
    assert (code, output) == (2, f"graphpost: no app with client id {client_id} (see: graphpost app list)\n")


def test_tenant_add_says_what_it_made(tmp_path: Path) -> None:
    code, output = run("tenant", "add", "Fabrikam.test", "--name", "Fabrikam", "--data-dir", str(tmp_path))
    assert code == 0 and output.startswith("added tenant Fabrikam accepting fabrikam.test, id ")
    tenant_id = output.split()[-1]
    assert [tenant_id, "Fabrikam", "fabrikam.test"] in _table(run("tenant", "list", "--data-dir", str(tmp_path))[1])


def test_token_cloud_names_the_audience_of_that_clouds_graph(tmp_path: Path) -> None:
    import jwt
    audiences = {}
    for cloud in (None, "global", "usgov", "usgov-dod", "china"):
        code, output = run("token", "--user", "alice@contoso.test", "--data-dir", str(tmp_path),
                           *(["--cloud", cloud] if cloud else []))
        assert code == 0
        audiences[cloud] = jwt.decode(output.strip(), options={"verify_signature": False})["aud"]
    assert audiences == {None: "https://graph.microsoft.com", "global": "https://graph.microsoft.com",
                         "usgov": "https://graph.microsoft.us", "usgov-dod": "https://dod-graph.microsoft.us",
                         "china": "https://microsoftgraph.chinacloudapi.cn"}
    assert run("token", "--user", "alice@contoso.test", "--cloud", "germany", "--data-dir", str(tmp_path)) == (
        2, "graphpost: unknown cloud 'germany' (clouds: global, usgov, usgov-dod, china)\n")
