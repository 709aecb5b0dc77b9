"""One first-come-first-served queue for SQLite's single writer, per database file."""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, Self

# Statements that take SQLite's writer lock; pysqlite opens its transaction just before them.
_WRITE_VERBS = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER"})
_CTE_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_BUSY_TIMEOUT = re.compile(r"\s*PRAGMA\s+busy_timeout\s*=\s*(\d+)", re.IGNORECASE)


def _writes(sql: str) -> bool:
    words = sql.lstrip()[:10].split(None, 1)
    verb = words[0].upper() if words else ""
    if verb == "WITH":
        return _CTE_WRITE.search(sql) is not None
    if verb == "BEGIN":  # BEGIN IMMEDIATE / EXCLUSIVE take the writer lock up front
        return any(mode in sql.upper() for mode in ("IMMEDIATE", "EXCLUSIVE"))
    return verb in _WRITE_VERBS


class FileWriterLock:
    """An exclusive flock on a file beside the database, shared by every process using it.

    The processes of one deployment (HTTP_WORKERS, roles) write the same file; without this,
    only SQLite's busy_timeout polling orders them (p99 2.2 s at 16 clients, 2 processes).
    The kernel wakes a blocked flock at once when the holder lets go. Held == descriptor open.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self, timeout: float) -> bool:
        """Take the lock within `timeout` seconds; False if another process kept it."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not _wait_for_flock(fd, timeout):
                return False  # the waiting thread closes fd once it gets the lock
        self._fd = fd
        return True

    def release(self) -> None:
        """Let the next process in (closing the descriptor drops the flock)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)


def _wait_for_flock(fd: int, timeout: float) -> bool:
    """Block on flock in a side thread, so the caller can give up after `timeout` (flock has
    no timeout of its own); a lock obtained after the caller gave up is dropped at once."""
    got, mutex = threading.Event(), threading.Lock()
    abandoned = False

    def wait() -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with mutex:
            if abandoned:
                os.close(fd)
            else:
                got.set()

    threading.Thread(target=wait, name="sqlite-writer-flock", daemon=True).start()
    if got.wait(max(0.0, timeout)):
        return True
    with mutex:
        if got.is_set():
            return True
        abandoned = True
        return False


class WriterGate:
    """A first-come-first-served lock for SQLite's single writer, per database file.

    SQLite's own queue for its writer lock is busy_timeout polling: a blocked writer sleeps
    and retries, sleeps growing to 100 ms, and whoever polls right after a commit wins. Under
    a steady stream of short write transactions some writers lose again and again
    (bench/api_write.py, 16 clients: the lock held 4-6 ms at p50 while first writes waited
    1.3-2.9 s at p99, up to 8.9 s). Connections of this process queue here instead, in
    order: taken just before a transaction's first write, handed straight to the next
    writer when it ends. Waits run on the connection's own driver thread, never on the
    event loop. The owner then takes the file's FileWriterLock, which orders the processes.
    """

    def __init__(self, file_lock: FileWriterLock | None = None) -> None:
        self._mutex = threading.Lock()
        self._owner: object | None = None
        self._waiters: deque[tuple[object, threading.Event]] = deque()
        self._file_lock = file_lock

    @property
    def waiting(self) -> int:
        """How many connections wait for the gate."""
        return len(self._waiters)

    def owned_by(self, owner: object) -> bool:
        """Whether `owner` holds the gate."""
        return self._owner is owner

    def acquire(self, owner: object, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the gate; False if it did not come."""
        deadline = time.monotonic() + timeout
        if not self._acquire_here(owner, timeout):
            return False
        if self._file_lock is None or self._file_lock.acquire(deadline - time.monotonic()):
            return True
        self._hand_on()
        return False

    def _acquire_here(self, owner: object, timeout: float) -> bool:
        with self._mutex:
            if self._owner is None and not self._waiters:
                self._owner = owner
                return True
            turn = threading.Event()
            self._waiters.append((owner, turn))
        if turn.wait(max(0.0, timeout)):
            return True
        with self._mutex:
            if self._owner is owner:  # handed over just as the wait ran out
                return True
            self._waiters.remove((owner, turn))
            return False

    def release(self, owner: object) -> None:
        """Hand the gate to the longest waiter, if `owner` holds it."""
        with self._mutex:
            if self._owner is not owner:
                return
        if self._file_lock is not None:
            self._file_lock.release()
        self._hand_on()

    def _hand_on(self) -> None:
        with self._mutex:
            if self._waiters:
                self._owner, turn = self._waiters.popleft()
                turn.set()
            else:
                self._owner = None


_GATES: dict[str, WriterGate] = {}
_GATES_LOCK = threading.Lock()


def writer_gate(database: str) -> WriterGate:
    """The process-wide gate of one SQLite file (ordered with other processes by a lock file)."""
    key = str(Path(database).resolve())
    with _GATES_LOCK:
        if key not in _GATES:
            _GATES[key] = WriterGate(FileWriterLock(key + ".writer-lock"))
        return _GATES[key]


class _GatedCursor(sqlite3.Cursor):
    """A cursor that passes the writer gate before a transaction's first write."""

    connection: GatedConnection

    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        self.connection._enter(sql)
        try:
            return super().execute(sql, parameters)
        finally:
            self.connection._leave()

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> Self:
        self.connection._enter(sql)
        try:
            return super().executemany(sql, seq_of_parameters)
        finally:
            self.connection._leave()


class GatedConnection(sqlite3.Connection):
    """sqlite3 connection (the `factory`) that holds its file's WriterGate while it writes.

    Held from just before the first write until the transaction ends (COMMIT, ROLLBACK,
    close, or a write that left no transaction open). A wait longer than the connection's
    busy_timeout fails as SQLite would: "database is locked".
    """

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._gate = writer_gate(database)
        self._busy_timeout = float(kwargs.get("timeout", 5.0))

    def cursor(self, factory: Any = _GatedCursor) -> Any:
        """A gated cursor (the driver's default factory)."""
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        """Connection.execute through a gated cursor."""
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> sqlite3.Cursor:
        """Connection.executemany through a gated cursor."""
        return self.cursor().executemany(sql, seq_of_parameters)

    def commit(self) -> None:
        """Commit, then hand the gate on."""
        super().commit()
        self._leave()

    def rollback(self) -> None:
        """Roll back, then hand the gate on."""
        try:
            super().rollback()
        finally:
            self._leave()

    def close(self) -> None:
        """Close; a connection never leaves while holding the gate."""
        try:
            super().close()
        finally:
            self._gate.release(self)

    def _enter(self, sql: str) -> None:
        match = _BUSY_TIMEOUT.match(sql)
        if match:
            self._busy_timeout = int(match.group(1)) / 1000
        elif (
            not self._gate.owned_by(self)
            and _writes(sql)
            and not self._gate.acquire(self, self._busy_timeout)
        ):
            raise sqlite3.OperationalError("database is locked")

    def _leave(self) -> None:
        if self._gate.owned_by(self) and not self.in_transaction:
            self._gate.release(self)
