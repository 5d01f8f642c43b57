"""The import contracts of pyproject.toml ([tool.importlinter], docs/architecture.md's layers) hold,
and they do catch what they are there to catch: checked on a copy of the package with one wrong
import added, by the same `lint-imports` that scripts/test runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH first, so that grimp finds the package under `root`, not the installed one.
    environ = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=root, env=environ, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "graphpost", tmp_path / "graphpost", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _add_import(root: Path, module: str, line: str) -> None:
    path = root / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{line}\n")


def test_the_import_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_the_layers(package_copy: Path) -> None:
    _add_import(package_copy, "graphpost.mail.ids", "from graphpost.api import app as _upwards")
    result = _lint_imports(package_copy)
    assert result.returncode == 1
    assert "Layers: imports point downwards only BROKEN" in result.stdout
    assert "graphpost.mail.ids -> graphpost.api.app" in result.stdout


def test_a_row_type_in_the_api_breaks_its_contract(package_copy: Path) -> None:
    _add_import(package_copy, "graphpost.api.resources", "from graphpost.store.mailbox import MessageRow")
    result = _lint_imports(package_copy)
    assert result.returncode == 1
    assert "The HTTP edge renders the domain's values, never the store's rows BROKEN" in result.stdout
    assert "graphpost.api.resources -> graphpost.store.mailbox" in result.stdout
