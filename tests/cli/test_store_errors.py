"""What the CLI says when the data directory, the signing key or the store cannot be used: one
line naming the path and the cause, exit code 2, never a traceback."""

import asyncio
from pathlib import Path
from typing import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from tests import backends
from tests.cli.conftest import make_read_only, run


def assert_one_line_error(code: int, output: str, *expected: str) -> None:
    assert code == 2, output
    assert output.startswith("graphpost: ") and output.count("\n") == 1, output
    for part in expected:
        assert part in output, output


def test_token_in_a_read_only_data_dir_without_a_key_names_the_key_file(read_only_dir: Path) -> None:
    make_read_only(read_only_dir)
    code, output = run("token", "--user", "alice@contoso.test", "--data-dir", str(read_only_dir))
    assert_one_line_error(code, output, f"cannot create the signing key {read_only_dir / 'signing-key.pem'}: ")


def test_token_with_a_data_dir_that_is_a_file_says_so(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    code, output = run("token", "--user", "alice@contoso.test", "--data-dir", str(tmp_path / "afile"))
    assert_one_line_error(code, output, f"the data directory {tmp_path / 'afile'} is a file, not a directory")


def test_user_add_with_a_data_dir_that_is_a_file_says_so(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("")
    code, output = run("user", "add", "carol@contoso.test", "--data-dir", str(tmp_path / "afile"))
    assert_one_line_error(code, output, f"the data directory {tmp_path / 'afile'} is a file, not a directory")


def test_token_with_a_corrupt_signing_key_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "signing-key.pem").write_text("not a key\n")
    code, output = run("token", "--user", "alice@contoso.test", "--data-dir", str(tmp_path))
    assert_one_line_error(code, output, f"{tmp_path / 'signing-key.pem'} is not an unencrypted PEM RSA private key")


def test_a_new_store_in_a_read_only_data_dir_names_the_directory_and_the_cause(read_only_dir: Path) -> None:
    make_read_only(read_only_dir)
    code, output = run("user", "add", "carol@contoso.test", "--data-dir", str(read_only_dir))
    assert_one_line_error(code, output, f"cannot write in the data directory {read_only_dir} ")
    assert "unable to open database file" not in output


def test_a_store_whose_directory_became_read_only_names_the_directory_and_the_cause(read_only_dir: Path) -> None:
    assert run("user", "add", "carol@contoso.test", "--data-dir", str(read_only_dir))[0] == 0
    make_read_only(read_only_dir)
    code, output = run("user", "list", "--data-dir", str(read_only_dir))
    assert_one_line_error(code, output, f"cannot write in the data directory {read_only_dir} ")


def test_a_bad_lifetime_names_the_flag_that_was_typed(tmp_path: Path) -> None:
    code, output = run("token", "--user", "alice@contoso.test", "--lifetime", "forever", "--data-dir", str(tmp_path))
    assert code == 2
    assert output == ("graphpost: bad setting 'token_lifetime' = 'forever' (from --lifetime): "
                      "'forever' is not a duration like 90s, 15m, 1h or 2d\n")


@pytest.mark.parametrize("command", [["user", "list"], ["app", "list"], ["tenant", "list"], ["outbox", "list"],
                                     ["queue", "list"], ["queue", "show", "1"], ["queue", "retry", "--all"],
                                     ["queue", "purge", "1"], ["user", "remove", "alice@contoso.test"],
                                     ["user", "disable", "alice@contoso.test"]])
def test_a_command_on_a_data_dir_without_a_store_says_so_and_makes_none(tmp_path: Path, command: list[str]) -> None:
    mistyped = tmp_path / "graphpsot"
    code, output = run(*command, "--data-dir", str(mistyped))
    assert_one_line_error(code, output, f"no graphpost store at {mistyped / 'graphpost.db'}")
    assert not mistyped.exists()


@pytest.fixture
def empty_postgres_database() -> Iterator[str]:
    """A PostgreSQL database that exists and holds nothing: what a mistyped --database-url finds."""
    run = backends.PostgresRun()
    try:
        asyncio.run(run._admin(f'CREATE DATABASE "{run.name}"'))
    except (OSError, sa.exc.SQLAlchemyError) as exc:
        if backends.postgres_required():
            pytest.fail(f"PostgreSQL is required but unusable: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    try:
        yield run.plain_url
    finally:
        run.drop()


def test_a_list_on_a_postgresql_database_without_a_store_says_so_and_makes_none(
        empty_postgres_database: str, tmp_path: Path) -> None:
    code, output = run("user", "list", "--database-url", empty_postgres_database, "--data-dir", str(tmp_path))
    assert_one_line_error(code, output, "no graphpost store in the database ")

    async def tables() -> list[str]:
        engine = create_async_engine(backends.asyncpg_url(empty_postgres_database))
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        finally:
            await engine.dispose()

    assert asyncio.run(tables()) == []
