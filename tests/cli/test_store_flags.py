"""The store flags, declared once (cli/common.py `store_flags`): every command that opens the store
takes them, its --help lists them, and what they say reaches the command."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup

from graphpost.cli import app
from tests.cli.conftest import run

STORE_FLAGS = ["--config", "--data-dir", "--database-url"]


def _commands(group: TyperGroup, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, TyperGroup):
            found += _commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))  # type: ignore[arg-type]


def test_the_command_tree_is_what_the_cli_has() -> None:
    # Guards the walk above: a tree it misread would make the test below pass on nothing.
    assert {("serve",), ("token",), ("user", "add"), ("queue", "retry"), ("db", "upgrade")} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_lists_the_store_flags_in_its_help(command: tuple[str, ...]) -> None:
    code, output = run(*command, "--help")
    assert code == 0, output
    assert [flag for flag in STORE_FLAGS if flag not in output] == []


def test_the_flags_reach_the_command(tmp_path: Path) -> None:
    config = tmp_path / "graphpost.toml"
    config.write_text('default_domain = "fabrikam.test"\n')
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    code, output = run("user", "add", "carol@fabrikam.test", "--config", str(config), "--data-dir", str(tmp_path),
                       "--database-url", url)
    assert code == 0, output
    assert (tmp_path / "elsewhere.db").is_file() and not (tmp_path / "graphpost.db").exists()
    code, output = run("user", "list", "--data-dir", str(tmp_path), "--database-url", url)
    assert "carol@fabrikam.test" in output
