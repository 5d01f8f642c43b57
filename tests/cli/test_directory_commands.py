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


def test_tenant_add_takes_the_id_an_application_is_configured_with(tmp_path: Path) -> None:
    chosen = "72F988BF-86F1-41AF-91AB-2D7CD011DB47"
    code, output = run("tenant", "add", "fabrikam.test", "--id", chosen, "--data-dir", str(tmp_path))
    assert (code, output.split()[-1]) == (0, chosen.lower())
    assert [chosen.lower(), "fabrikam.test", "fabrikam.test"] in _table(run("tenant", "list", "--data-dir",
                                                                            str(tmp_path))[1])
    code, output = run("tenant", "add", "other.test", "--id", chosen, "--data-dir", str(tmp_path))
    assert (code, output) == (2, f"graphpost: a tenant with id {chosen.lower()} already exists\n")
    code, output = run("tenant", "add", "third.test", "--id", "72f988bf", "--data-dir", str(tmp_path))
    assert code == 2 and "'72f988bf' is not a tenant id" in output


def test_app_add_takes_the_client_id_an_application_is_configured_with(tmp_path: Path) -> None:
    chosen = "0c5b2b3e-3a36-4b8e-9d5f-2c7d8e9f0a1b"
    code, output = run("app", "add", "ci", "--permission", "Mail.Send", "--client-id", chosen,
                       "--data-dir", str(tmp_path))
    assert code == 0 and dict(line.split(": ", 1) for line in output.splitlines())["client_id"] == chosen
    code, output = run("app", "add", "again", "--permission", "Mail.Send", "--client-id", chosen.upper(),
                       "--data-dir", str(tmp_path))
    assert (code, output) == (2, f"graphpost: an app with client id {chosen} already exists\n")
    code, output = run("app", "add", "bad", "--permission", "Mail.Send", "--client-id", "ci-app",
                       "--data-dir", str(tmp_path))
    assert code == 2 and "'ci-app' is not a client id" in output


def test_app_add_registers_a_certificate_until_the_app_is_removed(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import hashes

    from tests.certificates import self_signed
    pair = self_signed()
    pem = tmp_path / "app.pem"
    pem.write_text(pair.key_pem + pair.cert_pem)  # key and certificate in one file, as openssl users keep them
    code, output = run("app", "add", "signer", "--permission", "Mail.Send", "--certificate", str(pem),
                       "--data-dir", str(tmp_path))
    assert code == 0, output
    printed = dict(line.split(": ", 1) for line in output.splitlines())
    assert printed["certificate_thumbprint"] == pair.fingerprint(hashes.SHA1()).hex().upper()
    with sqlite3.connect(tmp_path / "graphpost.db") as conn:
        stored = conn.execute("SELECT client_id, sha256, pem FROM app_certificates").fetchall()
    assert stored == [(printed["client_id"], pair.fingerprint(hashes.SHA256()).hex(), pair.cert_pem)]
    assert run("app", "remove", printed["client_id"], "--data-dir", str(tmp_path))[0] == 0
    with sqlite3.connect(tmp_path / "graphpost.db") as conn:
        assert conn.execute("SELECT count(*) FROM app_certificates").fetchone() == (0,)


def test_app_add_refuses_what_is_not_a_certificate(tmp_path: Path) -> None:
    from tests.certificates import self_signed
    key_only = tmp_path / "key.pem"
    key_only.write_text(self_signed().key_pem)
    code, output = run("app", "add", "x", "--permission", "Mail.Send", "--certificate", str(key_only),
                       "--data-dir", str(tmp_path))
    assert (code, output) == (2, f"graphpost: {key_only}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it\n")
    missing = tmp_path / "missing.pem"
    code, output = run("app", "add", "x", "--permission", "Mail.Send", "--certificate", str(missing),
                       "--data-dir", str(tmp_path))
    assert (code, output) == (2, f"graphpost: cannot read the certificate {missing}: No such file or directory\n")
    broken = tmp_path / "broken.pem"
    broken.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    code, output = run("app", "add", "x", "--permission", "Mail.Send", "--certificate", str(broken),
                       "--data-dir", str(tmp_path))
    assert (code, output) == (2, f"graphpost: {broken}: the PEM certificate cannot be read\n")


def _password_hash(data_dir: Path, upn: str) -> str | None:
    with sqlite3.connect(data_dir / "graphpost.db") as conn:
        return conn.execute("SELECT password_hash FROM users WHERE upn_key = ?", (upn,)).fetchone()[0]


def test_user_passwd_sets_the_password_from_stdin_or_a_prompt(tmp_path: Path) -> None:
    from graphpost.directory.service import secret_matches
    run("user", "add", "carol@contoso.test", "--data-dir", str(tmp_path))  # makes and seeds the store
    assert _password_hash(tmp_path, "alice@contoso.test") is None
    code, output = run("user", "passwd", "ALICE@contoso.test", "--password-stdin", "--data-dir", str(tmp_path),
                       stdin="correct horse battery\n")
    assert (code, output) == (0, "set the password of alice@contoso.test\n")
    stored = _password_hash(tmp_path, "alice@contoso.test")
    assert stored is not None and secret_matches("correct horse battery", stored)
    assert "correct horse" not in stored
    code, output = run("user", "passwd", "bob@contoso.test", "--data-dir", str(tmp_path),
                       stdin="another one here\nanother one here\n")
    assert code == 0 and output.endswith("set the password of bob@contoso.test\n")
    assert secret_matches("another one here", _password_hash(tmp_path, "bob@contoso.test") or "")


def test_user_passwd_refuses_a_short_password_or_an_unknown_user(tmp_path: Path) -> None:
    run("user", "add", "carol@contoso.test", "--data-dir", str(tmp_path))
    code, output = run("user", "passwd", "alice@contoso.test", "--password-stdin", "--data-dir", str(tmp_path),
                       stdin="short\n")
    assert (code, output) == (2, "graphpost: a password has 8 to 256 characters\n")
    code, output = run("user", "passwd", "eve@contoso.test", "--password-stdin", "--data-dir", str(tmp_path),
                       stdin="long enough password\n")
    assert (code, output) == (2, "graphpost: no user eve@contoso.test (see: graphpost user list)\n")
    assert _password_hash(tmp_path, "alice@contoso.test") is None
