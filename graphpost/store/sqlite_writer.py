"""A process of its own that writes whole SQLite transactions (store/bulk.py statements).

Why a process: SQLite gives up the GIL while it works, but Python's sqlite3 takes it back for
every row it binds and every statement it steps, and a thread that wants the GIL back from a
busy event loop gets it only when the loop blocks or after the 5 ms switch interval. Measured
under sendMail load (bench/README.md), the writer thread spent two to three times its CPU time
waiting so, and the event loop idled while every client waited on it. In a process of its own,
SQLite's work runs beside the event loop, on the other core, without waiting for it.

The parent (WriterProcess) hands over a transaction and gets its outcome back, in order, over
the child's stdin and stdout: frames of a 4-byte big-endian length and a pickle, a request
`(number, statements)` and an answer `(number, None)` or `(number, (error class, message))`.
A transaction is answered only after its COMMIT, so a 202 that waits for the answer is durable
as before (store/database.py). Between transactions it checkpoints the WAL (store/checkpoints.py).
The child exits when its stdin closes (the parent stopped or died), after the transaction at
hand and a last checkpoint.

Run as `python -m graphpost.store.sqlite_writer PATH`; it imports nothing heavier than sqlite3,
so that it starts in a few tens of milliseconds."""

from __future__ import annotations

import asyncio
import contextvars
import fcntl
import itertools
import logging
import os
import pickle
import select
import sqlite3
import sys
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Sequence

from graphpost.store.checkpoints import IDLE_SECONDS, Checkpoints
from graphpost.store.sqlite_pragmas import CONNECTION_PRAGMAS

log = logging.getLogger(__name__)

# A batch of sendMails pickles to tens of kilobytes, more than a pipe holds by default (64 KiB):
# the app's loop then wrote it in pieces, waiting for the child to read each (bench/README.md).
PIPE_BYTES = 1024 * 1024
_HEADER = 4
Statements = Sequence[tuple[str, Sequence[Sequence[Any]]]]


class WriterGone(Exception):
    """The writer process ended before answering (it was killed, or failed to start)."""


def transaction(conn: sqlite3.Connection, statements: Statements) -> None:
    """BEGIN IMMEDIATE, each statement over its rows, COMMIT; a failure rolls it all back."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        for operation, rows in statements:
            conn.executemany(operation, rows)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class _Frames:
    """The requests on the child's stdin, read straight from the descriptor so that whether one
    is waiting can be asked without blocking."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self._ended = False

    def waiting(self, timeout: float) -> bool:
        """Whether a request (or the end of the input) arrives within `timeout` seconds."""
        return bool(self._buffer) or self._ended or bool(select.select([self._fd], [], [], timeout)[0])

    def next(self) -> bytes | None:
        """The next request, or None once the input has ended."""
        if not self._fill(_HEADER):
            return None
        size = _HEADER + int.from_bytes(self._buffer[:_HEADER], "big")
        if not self._fill(size):
            return None
        payload = bytes(self._buffer[_HEADER:size])
        del self._buffer[:size]
        return payload

    def _fill(self, size: int) -> bool:
        while len(self._buffer) < size:
            chunk = os.read(self._fd, max(size - len(self._buffer), 1 << 16))
            if not chunk:
                self._ended = True
                return False
            self._buffer += chunk
        return True


def _widen(fd: int) -> None:
    try:
        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_BYTES)
    except OSError as error:  # not a pipe, not Linux, or above the system's limit: as it was
        log.debug("pipe size left as it was: %s", error)


def serve(path: str, requests_fd: int, answers: BinaryIO) -> None:
    _widen(requests_fd)
    _widen(answers.fileno())
    conn = sqlite3.connect(path, isolation_level=None)
    # As the app's own connections; checkpoints are this process's alone.
    for pragma in CONNECTION_PRAGMAS:
        conn.execute(f"PRAGMA {pragma}")
    checkpoints = Checkpoints(conn, path)
    requests = _Frames(requests_fd)
    try:
        while True:
            if not requests.waiting(IDLE_SECONDS):
                checkpoints.checkpoint()
                continue
            payload = requests.next()
            if payload is None:
                break
            number, statements = pickle.loads(payload)
            outcome: tuple[str, str] | None = None
            try:
                transaction(conn, statements)
            except sqlite3.Error as error:
                outcome = (type(error).__name__, str(error))
            answer = pickle.dumps((number, outcome), protocol=pickle.HIGHEST_PROTOCOL)
            answers.write(len(answer).to_bytes(_HEADER, "big") + answer)
            answers.flush()
            if outcome is None:
                checkpoints.written(sum(len(rows) for _, rows in statements))
        checkpoints.checkpoint()
    finally:
        checkpoints.close()
        conn.close()


@dataclass
class _Child:
    process: asyncio.subprocess.Process
    # Futures of the transactions handed to this child, by number, until it answers them.
    waiting: dict[int, asyncio.Future[tuple[str, str] | None]] = field(default_factory=dict)
    reader: asyncio.Task[None] | None = None


class WriterProcess:
    """The parent's side: starts the child on first use (and again if it died), hands over
    transactions and waits for their answers."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._child: _Child | None = None
        self._starting = asyncio.Lock()
        self._numbers = itertools.count()

    async def run(self, statements: Statements) -> None:
        """Write `statements` in one transaction; returns once it has committed. A failure
        raises the sqlite3 error the child met (the transaction left nothing behind)."""
        child = await self._started()
        stdin = child.process.stdin
        assert stdin is not None
        number = next(self._numbers)
        answered: asyncio.Future[tuple[str, str] | None] = asyncio.get_running_loop().create_future()
        child.waiting[number] = answered
        payload = pickle.dumps((number, statements), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            stdin.write(len(payload).to_bytes(_HEADER, "big") + payload)
            await stdin.drain()
        except (ConnectionError, RuntimeError) as error:
            child.waiting.pop(number, None)
            raise WriterGone(f"the SQLite writer process is gone ({error})") from None
        outcome = await answered
        if outcome is not None:
            name, message = outcome
            kind = getattr(sqlite3, name, None)
            if not (isinstance(kind, type) and issubclass(kind, sqlite3.Error)):
                kind = sqlite3.DatabaseError
            raise kind(message)

    async def start(self) -> None:
        """Have the child running (it also checkpoints what other connections write)."""
        await self._started()

    async def close(self) -> None:
        """Stop the child, after the transactions it holds (at shutdown, in the loop that started
        it); a later write starts another."""
        child, self._child = self._child, None
        self._starting = asyncio.Lock()  # the next child may belong to another event loop
        if child is None:
            return
        assert child.process.stdin is not None
        child.process.stdin.close()
        try:
            await asyncio.wait_for(child.process.wait(), 30)
        except asyncio.TimeoutError:
            log.warning("the SQLite writer process did not stop in 30 s; killing it")
            child.process.kill()
        if child.reader is not None:
            await child.reader

    async def _started(self) -> _Child:
        async with self._starting:
            child = self._child
            if child is None or child.process.returncode is not None or child.reader is None or child.reader.done():
                process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", __name__, self._path,
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
                child = self._child = _Child(process)
                # It outlives the request that starts it: its log records carry no request id.
                child.reader = asyncio.create_task(_read_answers(child), context=contextvars.Context())
            return child


async def _read_answers(child: _Child) -> None:
    stdout = child.process.stdout
    assert stdout is not None
    try:
        while True:
            header = await stdout.readexactly(_HEADER)
            number, outcome = pickle.loads(await stdout.readexactly(int.from_bytes(header, "big")))
            answered = child.waiting.pop(number, None)
            if answered is not None and not answered.done():
                answered.set_result(outcome)
    except asyncio.IncompleteReadError:
        pass
    finally:
        # Cancelled (the loop is closing) or the child ended: with its stdin closed, a child still
        # running finishes the transaction it holds and exits, so this wait ends.
        stdin = child.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        code = await child.process.wait()
        if child.waiting:
            log.warning("the SQLite writer process ended (exit code %s) with %d transactions unanswered",
                        code, len(child.waiting))
        for answered in child.waiting.values():
            if not answered.done():
                answered.set_exception(WriterGone(f"the SQLite writer process ended (exit code {code})"))
        child.waiting.clear()


if __name__ == "__main__":
    serve(sys.argv[1], sys.stdin.fileno(), sys.stdout.buffer)
