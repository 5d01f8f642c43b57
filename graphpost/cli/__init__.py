"""The `graphpost` command. Thin: it parses flags, builds Settings and calls the layers below.
One module per group of commands (each registers its own on import); common.py holds what they share."""

from __future__ import annotations

# Each registers its commands on import, in the order --help lists them.
from graphpost.cli import serve, certificates, directory, database, delivery  # noqa: F401  # isort: skip
from graphpost.cli.apps import app

__all__ = ["app", "main"]


def main() -> None:
    app()
