"""The writer process's WAL checkpoints (store/checkpoints.py), on a real SQLite file: under
sustained writes, and with readers that keep a checkpoint from finishing, the WAL stays bounded
and what was committed reaches the database file."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from graphpost.store.checkpoints import Checkpoints
from graphpost.store.sqlite_writer import transaction
from tests.backends import count_in_database_file

ROW = "x" * 2_000  # a row of about a page


@pytest.fixture
def path(tmp_path: Path) -> Iterator[str]:
    file = str(tmp_path / "wal.db")
    setup = sqlite3.connect(file, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE items (n INTEGER PRIMARY KEY, data TEXT)")
    setup.close()
    yield file


def _writer(path: str, **policy: int) -> tuple[sqlite3.Connection, Checkpoints]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    checkpoints = Checkpoints(conn, path, **policy)
    return conn, checkpoints


def _write(conn: sqlite3.Connection, checkpoints: Checkpoints, first: int, count: int) -> None:
    rows = [(n, ROW) for n in range(first, first + count)]
    transaction(conn, [("INSERT INTO items VALUES (?, ?)", rows)])
    checkpoints.written(len(rows))


def _wal_size(path: str) -> int:
    return os.stat(path + "-wal").st_size


def _in_file(path: str) -> int:
    return count_in_database_file(path, "SELECT count(*) FROM items")


def test_the_writer_does_not_checkpoint_in_its_commits_nor_before_the_threshold(path: str) -> None:
    conn, checkpoints = _writer(path, rows_under_load=100)
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    for batch in range(9):
        _write(conn, checkpoints, batch * 10, 10)
    assert _in_file(path) == 0
    # The 100th row starts a pass in the background; transactions go on meanwhile, and once a
    # pass has left little behind, the writer copies the rest between two of them.
    written = 100
    _write(conn, checkpoints, 90, 10)
    while checkpoints.rows_since and written < 2_000:
        time.sleep(0.01)
        _write(conn, checkpoints, written, 10)
        written += 10
    assert checkpoints.rows_since == 0
    assert _in_file(path) == written
    checkpoints.close()


def test_under_sustained_writes_beside_readers_the_wal_stays_bounded(path: str) -> None:
    # Each batch writes ~12 pages; a checkpoint every 400 rows. Readers in other threads keep
    # taking short snapshots, as the app's readers do.
    conn, checkpoints = _writer(path, rows_under_load=400, wal_file_limit=4 * 1024 * 1024)
    stop = threading.Event()

    def read() -> None:
        reader = sqlite3.connect(path, isolation_level=None)
        while not stop.is_set():
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM items").fetchone()
            reader.execute("COMMIT")
            time.sleep(0.001)
        reader.close()

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    largest = 0
    try:
        for batch in range(600):
            _write(conn, checkpoints, batch * 20, 20)
            largest = max(largest, _wal_size(path))
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    # 12,000 rows (7,424 WAL frames, 30.6 MB) went through a WAL file that stayed at 6-9 MB on a
    # busy machine, which slows the passes. Without the writer's own checkpoints the WAL was never
    # started afresh, and the file held all 30.6 MB.
    assert largest < 20 * 1024 * 1024, largest
    checkpoints.checkpoint()
    checkpoints.close()
    assert _in_file(path) == 12_000


def test_a_wal_that_readers_let_grow_is_restarted_and_truncated(path: str) -> None:
    conn, checkpoints = _writer(path, rows_under_load=50, wal_file_limit=512 * 1024)
    _write(conn, checkpoints, 0, 10)
    # A reader holding an old snapshot keeps every PASSIVE checkpoint from finishing: the WAL
    # cannot be started afresh and grows past the limit.
    old = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    old.execute("BEGIN")
    assert old.execute("SELECT count(*) FROM items").fetchone()[0] == 10
    for batch in range(1, 40):
        _write(conn, checkpoints, batch * 10, 10)
    assert _wal_size(path) > 512 * 1024
    # So the next checkpoint is a RESTART: it waits for that reader (which ends a moment later)
    # where a PASSIVE one would copy only what the reader's snapshot holds, and returns.
    done = threading.Timer(0.3, lambda: old.execute("COMMIT"))
    done.start()
    checkpoints.checkpoint()
    done.join()
    old.close()
    assert _in_file(path) == 400
    # The next commit starts the WAL afresh and truncates the file to the limit.
    _write(conn, checkpoints, 400, 1)
    assert _wal_size(path) <= 512 * 1024
