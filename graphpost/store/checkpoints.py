"""When and how the SQLite writer process (store/sqlite_writer.py) checkpoints the WAL.

By default SQLite checkpoints inside the commit that takes the WAL past 1,000 pages: that commit
copies the WAL into the database file and syncs both, and every request waiting on it waits too.
A thread of the app's process checkpointing on a timer cost that process CPU and, beside a
writer that never pauses, rarely caught up with it: the WAL is started afresh only once a
checkpoint has copied all of it, so under sustained load the file kept growing (bench/README.md).

So the writer process owns the checkpoints:
- when no transaction has come for IDLE_SECONDS, it checkpoints at once (this also copies what
  the app's other writer, the aiosqlite connection, committed meanwhile);
- under load, once ROWS_UNDER_LOAD rows have been written since the last one, a thread of the
  writer process copies the WAL into the database file while transactions go on (SQLite does
  the copying without Python's GIL). What was committed during that pass is left over; once a
  pass was short (little was left), or after MAX_PASSES, the writer copies the rest itself
  between two transactions, which no commit can overtake: that checkpoint catches up, and the
  next commit starts the WAL afresh. Measured under sendMail load, a checkpoint done wholly
  between transactions held them ~0.4 s every ~2 s; the final one here took ~50 ms.
A checkpoint is PASSIVE (it never waits for readers), unless the WAL file has grown past
WAL_FILE_LIMIT, which happens when readers kept PASSIVE ones from finishing, or when the app's
other writer commits without pause while this process idles (seen under draft + send load):
then it is RESTART, which waits for those readers and that writer, so that the next commit
starts the WAL afresh.
Durability is unchanged: a transaction is answered once its commit is in the WAL either way."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

IDLE_SECONDS = 0.25
# Under sendMail load (bench/README.md) a row costs ~3.7 WAL frames (its page, and the index
# pages each transaction rewrites): ~150 MB of WAL between two resets. Measured, two runs each:
# 5,000 and 20,000 rows gave b/a 0.31-0.35, 10,000 gave 0.37-0.39 (runs differ by ~0.03).
ROWS_UNDER_LOAD = 10_000
# A pass that took less than this left little for the writer to copy.
SHORT_PASS_SECONDS = 0.03
MAX_PASSES = 4
# Above the WAL's usual size under load: after a reset SQLite truncates a larger file to this,
# and a file truncated by every reset (64 MB was tried) is grown again by the next commits, at
# a cost (sendMail/s 10% lower). SQLite's own default never truncates it.
WAL_FILE_LIMIT = 256 * 1024 * 1024
# How long a RESTART checkpoint waits for readers before giving up until the next one: batches
# wait meanwhile.
RESTART_WAIT_MS = 1_000


@dataclass
class _Pass:
    """One checkpoint by the background thread, and how long it took."""

    done: threading.Event = field(default_factory=threading.Event)
    seconds: float = 0.0


class Checkpoints:
    """The writer process's checkpoint policy and the checkpoints themselves. Called from the
    writer's thread only; the passes under load run in a thread of their own, one at a time."""

    def __init__(self, conn: sqlite3.Connection, wal_path: str, *, rows_under_load: int = ROWS_UNDER_LOAD,
                 wal_file_limit: int = WAL_FILE_LIMIT) -> None:
        self.conn = conn
        self.wal_path = wal_path
        self.rows_under_load = rows_under_load
        self.wal_file_limit = wal_file_limit
        self.rows_since = 0
        self._pass: _Pass | None = None
        self._passes = 0
        # The background thread's own connection: Python's sqlite3 lets it be made here and used
        # there, and it is only ever used by one thread at a time.
        self._pass_conn: sqlite3.Connection | None = None
        # The writer never checkpoints inside a commit; when the WAL is started afresh, a file
        # that grew is truncated back to the limit.
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute(f"PRAGMA journal_size_limit={wal_file_limit}")

    def written(self, rows: int) -> None:
        """After a commit of `rows` rows: start, follow or finish the checkpoint under load."""
        self.rows_since += rows
        current = self._pass
        if current is not None:
            if not current.done.is_set():
                return
            self._pass = None
            self._passes += 1
            if current.seconds <= SHORT_PASS_SECONDS or self._passes >= MAX_PASSES:
                self.checkpoint()
                return
        if self._passes or self.rows_since >= self.rows_under_load:
            self._start_pass()

    def checkpoint(self) -> None:
        """A checkpoint on the writer's connection, between two transactions (none can overtake
        it); waits for a background pass under way to end first."""
        self._await_pass()
        self._passes = 0
        mode = "RESTART" if self._wal_file_size() > self.wal_file_limit else "PASSIVE"
        (busy_timeout,) = self.conn.execute("PRAGMA busy_timeout").fetchone()
        try:
            if mode == "RESTART":
                self.conn.execute(f"PRAGMA busy_timeout={min(busy_timeout, RESTART_WAIT_MS)}")
            busy, frames, copied = self.conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
        except sqlite3.Error as error:
            log.warning("WAL checkpoint (%s) of %s failed: %s", mode, self.wal_path, error)
            return
        finally:
            self.conn.execute(f"PRAGMA busy_timeout={busy_timeout}")
        self.rows_since = 0
        if busy:
            log.info("WAL checkpoint (%s) of %s was kept from finishing by readers or a writer",
                     mode, self.wal_path)
        elif frames >= 0 and copied < frames:
            log.debug("WAL checkpoint copied %d of %d frames (readers still use the rest)", copied, frames)

    def close(self) -> None:
        self._await_pass()
        if self._pass_conn is not None:
            self._pass_conn.close()
            self._pass_conn = None

    def _await_pass(self) -> None:
        if self._pass is not None:
            self._pass.done.wait()
            self._pass = None

    def _start_pass(self) -> None:
        if self._pass_conn is None:
            self._pass_conn = sqlite3.connect(self.wal_path, isolation_level=None, check_same_thread=False)
        self._pass = _Pass()
        threading.Thread(target=self._run_pass, args=(self._pass_conn, self._pass),
                         name="graphpost-wal-checkpoint", daemon=True).start()

    def _run_pass(self, conn: sqlite3.Connection, current: _Pass) -> None:
        began = time.perf_counter()
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as error:
            log.warning("WAL checkpoint (background) of %s failed: %s", self.wal_path, error)
        finally:
            current.seconds = time.perf_counter() - began
            current.done.set()

    def _wal_file_size(self) -> int:
        try:
            return os.stat(self.wal_path + "-wal").st_size
        except OSError:
            return 0
