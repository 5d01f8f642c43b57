"""The settings every connection to graphpost's SQLite file starts with: the app's readers and
writer (store/database.py) and the writer process (store/sqlite_writer.py) must agree on them.
Imports nothing, so that the writer process still starts in a few tens of milliseconds."""

from __future__ import annotations

BUSY_TIMEOUT_MS = 10_000
# NORMAL in WAL mode: a commit survives the process being killed (it is in the WAL, in the OS
# page cache); only an OS crash or power loss can lose the last commits.
SYNCHRONOUS = "NORMAL"
CONNECTION_PRAGMAS = ("journal_mode=WAL", f"synchronous={SYNCHRONOUS}", f"busy_timeout={BUSY_TIMEOUT_MS}",
                      "foreign_keys=ON")
