"""Where a SQLite store lives: is there one, and can one be opened there. Asked before SQLite
opens the file, so that the operator reads which path is wrong and why, instead of SQLite's
"unable to open database file"."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url


class StoreLocationError(Exception):
    """The store's file or directory cannot be used; the message names the path and the cause."""


def sqlite_file(url: str) -> Path | None:
    """The SQLite database file a URL names; None for PostgreSQL or an in-memory database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def check_openable(url: str) -> None:
    """Make the data directory if needed; refuse, naming the path, what SQLite could not open."""
    path = sqlite_file(url)
    if path is None:
        return
    directory = path.parent
    if directory.exists() and not directory.is_dir():
        raise StoreLocationError(f"the data directory {directory} is a file, not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreLocationError(f"cannot create the data directory {directory}: {exc.strerror}") from None
    # SQLite writes its write-ahead log and shared-memory file beside the database, so even
    # reading needs the directory writable.
    try:
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise StoreLocationError(f"cannot write in the data directory {directory} (SQLite keeps its "
                                 f"write-ahead log beside {path.name}): {exc.strerror}") from None
    if path.exists():
        try:
            with path.open("r+b"):
                pass
        except OSError as exc:
            raise StoreLocationError(f"cannot open the database {path}: {exc.strerror}") from None
