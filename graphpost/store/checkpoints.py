"""WAL checkpoints on SQLite, away from the writer.

By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that commit
copies the WAL into the database file and syncs both, and every request waiting on it waits too
(a sendMail group commit writes ~100 pages, so one in ten did). Here the writer never
checkpoints; a thread of its own runs a PASSIVE checkpoint, which does not block the writer or
readers, every INTERVAL_SECONDS. Durability is unchanged: a commit is in the WAL either way.
The WAL is reset only after a checkpoint has caught up with the writer; beside a writer that
never pauses, a PASSIVE one may not, and the file grows until the load eases (bench/README.md)."""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

# How often the thread checkpoints (2 s cost sendMail less but caught up with the writer less
# often: bench/README.md). A checkpoint with nothing new to copy only reads the WAL index.
INTERVAL_SECONDS = 0.25
# After the WAL is reset, a file that grew past this under load is truncated back to it.
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024


class WalCheckpointer:
    def __init__(self, path: str) -> None:
        self._path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="graphpost-wal-checkpoint", daemon=True)

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        conn = sqlite3.connect(self._path, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=1000")
            conn.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
            while not self._stop.wait(INTERVAL_SECONDS):
                try:
                    self.checkpoint(conn)
                except sqlite3.Error as error:
                    log.warning("WAL checkpoint of %s failed: %s", self._path, error)
        finally:
            conn.close()

    @staticmethod
    def checkpoint(conn: sqlite3.Connection) -> None:
        busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if busy:
            log.debug("WAL checkpoint could not run (busy)")
        elif frames >= 0 and copied < frames:
            log.debug("WAL checkpoint copied %d of %d frames (readers still use the rest)", copied, frames)
