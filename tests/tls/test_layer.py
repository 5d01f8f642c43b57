"""graphpost.tls sits at the bottom of the layers (docs/architecture.md): the proxy and `serve`
build on it, so it may import only config and errors of graphpost, besides libraries."""

from __future__ import annotations

import ast
from pathlib import Path

import graphpost.tls

ALLOWED = ("graphpost.tls", "graphpost.config", "graphpost.errors")


def _imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "graphpost")
    return found


def test_the_tls_package_imports_nothing_of_graphpost_above_config_and_errors() -> None:
    package = Path(graphpost.tls.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) >= 5
    reaching_up = {f"{path.name}: {name}" for path in modules for name in _imported(path)
                   if name.startswith("graphpost") and not name.startswith(ALLOWED) and name != "graphpost"}
    assert reaching_up == set()
