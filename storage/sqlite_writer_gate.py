"""One first-come-first-served queue for SQLite's single writer, per database file."""

from __future__ import annotations

import re
import sqlite3
import threading
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


class WriterGate:
    """A first-come-first-served lock for SQLite's single writer, per database file.

    SQLite's own queue for its writer lock is busy_timeout polling: a blocked writer sleeps
    and retries, sleeps growing to 100 ms, and whoever polls right after a commit wins. Under
    a steady stream of short write transactions some writers lose again and again
    (bench/api_write.py, 16 clients: the lock held 4-6 ms at p50 while first writes waited
    1.3-2.9 s at p99, up to 8.9 s). Connections of this process queue here instead, in
    order: taken just before a transaction's first write, handed straight to the next
    writer when it ends. Waits run on the connection's own driver thread, never on the
    event loop; other processes still meet busy_timeout.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._owner: object | None = None
        self._waiters: deque[tuple[object, threading.Event]] = deque()

    @property
    def waiting(self) -> int:
        """How many connections wait for the gate."""
        return len(self._waiters)

    def owned_by(self, owner: object) -> bool:
        """Whether `owner` holds the gate."""
        return self._owner is owner

    def acquire(self, owner: object, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the gate; False if it did not come."""
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
            if self._waiters:
                self._owner, turn = self._waiters.popleft()
                turn.set()
            else:
                self._owner = None


_GATES: dict[str, WriterGate] = {}
_GATES_LOCK = threading.Lock()


def writer_gate(database: str) -> WriterGate:
    """The process-wide gate of one SQLite file."""
    key = str(Path(database).resolve())
    with _GATES_LOCK:
        return _GATES.setdefault(key, WriterGate())


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
