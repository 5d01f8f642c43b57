"""Writing the CA's and certificates' files so that no reader ever sees half of one: each is
written to a temporary file beside its final name, then renamed over it (rename is atomic on
POSIX and Windows alike)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class TLSError(Exception):
    """A certificate, key or CA that cannot be made or used; the message is one line for the
    operator, naming the file and the cause."""


def write_atomically(path: Path, data: bytes, mode: int) -> None:
    """`data` at `path` with permissions `mode`, replacing whatever was there in one step."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file 0600 already; chmod still, for modes that are wider (a certificate).
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_file(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TLSError(f"cannot read the {what} {path}: {exc.strerror}") from None
