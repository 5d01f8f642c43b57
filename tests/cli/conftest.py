"""Running the real `graphpost` command in-process (typer's CliRunner), and directories the
operating system refuses to write in."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from typer.testing import CliRunner

from graphpost.cli import app

_runner = CliRunner()


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    """Exit code and everything printed (stdout and stderr), without the developer's GRAPHPOST_*
    settings. An exception escaping the command (a traceback) is exit code 1 here, never 2.
    `stdin` is what the command reads (and its prompts are answered from)."""
    unset: dict[str, str | None] = {name: None for name in os.environ if name.startswith("GRAPHPOST_")}
    result = _runner.invoke(app, list(args), env=unset, input=stdin)
    return result.exit_code, result.output


def make_read_only(directory: Path) -> None:
    """Nobody may create files in it any more. Root ignores permission bits, so as root the
    immutable attribute does it (chattr +i binds root too)."""
    if os.geteuid() != 0:
        directory.chmod(0o555)
    elif shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(directory)],
                                                          capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr +i: no way to make a directory read-only")


def make_writable(directory: Path) -> None:
    if os.geteuid() != 0:
        directory.chmod(0o755)
    else:
        subprocess.run(["chattr", "-i", str(directory)], capture_output=True)


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory, empty or filled by the test before it calls make_read_only(read_only_dir)."""
    directory = tmp_path / "read-only"
    directory.mkdir()
    try:
        yield directory
    finally:
        make_writable(directory)
