"""The CLI's answers to operators: one clear line and exit status 2 for what it cannot do."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from graphpost.cli import app

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output


def test_a_bad_setting_stops_with_one_line_naming_it(tmp_path: Path) -> None:
    code, output = run("user", "list", "--data-dir", str(tmp_path), env={"GRAPHPOST_PORT": "eighty"})
    assert code == 2
    assert output.strip().splitlines() == [
        "graphpost: bad setting 'port' = 'eighty' (from GRAPHPOST_PORT): Input should be a valid integer, "
        "unable to parse string as an integer"]


def test_unknown_key_in_the_config_file_is_named(tmp_path: Path) -> None:
    config = tmp_path / "graphpost.toml"
    config.write_text('hots = "0.0.0.0"\n')
    code, output = run("user", "list", "--config", str(config), "--data-dir", str(tmp_path))
    assert code == 2 and "unknown setting 'hots'" in output


def test_user_add_list_and_token_on_a_fresh_data_dir(tmp_path: Path) -> None:
    code, output = run("user", "add", "carol@contoso.test", "--name", "Carol Diaz", "--data-dir", str(tmp_path))
    assert code == 0, output
    carol_id = output.split()[-1]
    code, output = run("user", "list", "--data-dir", str(tmp_path))
    assert [carol_id, "carol@contoso.test", "Carol", "Diaz", "true"] in [line.split() for line in output.splitlines()]
    assert any(line.split()[1:] == ["alice@contoso.test", "Alice", "Smith", "true"] for line in output.splitlines())
    code, output = run("token", "--user", "CAROL@contoso.test", "--scope", "Mail.Send", "--data-dir", str(tmp_path))
    assert code == 0 and output.count(".") == 2


def test_a_user_of_a_domain_no_tenant_accepts_is_refused(tmp_path: Path) -> None:
    code, output = run("user", "add", "eve@elsewhere.test", "--data-dir", str(tmp_path))
    assert code == 2 and "no tenant accepts the domain elsewhere.test" in output


def test_app_add_prints_its_tenant_a_client_id_and_a_secret(tmp_path: Path) -> None:
    code, output = run("app", "add", "ci", "--permission", "Mail.Send", "--data-dir", str(tmp_path))
    assert code == 0
    lines = dict(line.split(": ", 1) for line in output.strip().splitlines())
    assert set(lines) == {"tenant_id", "client_id", "client_secret"}
    code, output = run("app", "list", "--data-dir", str(tmp_path))
    assert [lines["client_id"], "ci", "Mail.Send"] in [line.split() for line in output.splitlines()]
    code, output = run("token", "--app", lines["client_id"], "--data-dir", str(tmp_path))
    assert code == 0 and output.count(".") == 2


@pytest.mark.parametrize("args", [["token"], ["token", "--user", "alice@contoso.test", "--app", "x"]])
def test_token_needs_exactly_one_subject(tmp_path: Path, args: list[str]) -> None:
    code, output = run(*args, "--data-dir", str(tmp_path))
    assert code == 2 and "exactly one of --user" in output


def test_an_unknown_permission_is_refused(tmp_path: Path) -> None:
    code, output = run("app", "add", "ci", "--permission", "Mail.Everything", "--data-dir", str(tmp_path))
    assert code == 2 and "unknown permission 'Mail.Everything'" in output


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    code, output = run("user", "list", "--database-url", "postgresql://nobody@127.0.0.1:1/x",
                       "--data-dir", str(tmp_path))
    assert code == 2 and output.startswith("graphpost: cannot open the database") and output.count("\n") == 1


def test_db_upgrade_reports_the_revision(tmp_path: Path) -> None:
    code, output = run("db", "upgrade", "--data-dir", str(tmp_path))
    assert code == 0 and output.startswith("database at revision ")


def test_queue_commands_on_an_empty_queue(tmp_path: Path) -> None:
    assert run("db", "upgrade", "--data-dir", str(tmp_path))[0] == 0
    code, output = run("queue", "list", "--data-dir", str(tmp_path))
    assert code == 0 and output.split() == ["entry", "internetMessageId", "sender", "recipient", "state", "created"]
    code, output = run("queue", "show", "7", "--data-dir", str(tmp_path))
    assert code == 2 and "no queue entry 7" in output
    code, output = run("queue", "retry", "--all", "--data-dir", str(tmp_path))
    assert code == 0 and output.strip() == "requeued 0 entries"
    code, output = run("queue", "retry", "--data-dir", str(tmp_path))
    assert code == 2 and "give an entry number or --all" in output
    code, output = run("queue", "purge", "7", "--data-dir", str(tmp_path))
    assert code == 2 and "no queue entry 7" in output
