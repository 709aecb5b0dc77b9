"""Change signals between processes: PostgreSQL NOTIFY at commit, LISTEN on one connection.

A signal only says "re-read these rows"; the database stays the truth. Every committing
session that changed a schedule (any column that decides when it fires) or a campaign's
status / scheduled time sends one NOTIFY per kind inside its own transaction, so it is
delivered at commit and never for a rolled-back change. SQLite (one process) sends nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import Session

from storage.models import Campaign
from storage.models_scheduling import Schedule

log = logging.getLogger(__name__)
# One channel per database schema, so deployments (or tests) sharing a server stay apart;
# hashed because channel names are identifiers (at most 63 bytes).
CHANNEL_SQL = "'tgc_' || left(md5(current_database() || '.' || current_schema()), 20)"
MAX_PAYLOAD = 7000  # PostgreSQL refuses payloads of 8000 bytes or more
ALL_IDS = "*"
_INFO_KEY = "tg_signals"
_WATCHED = {Schedule: ("status", "next_run_at"), Campaign: ("status", "scheduled_at")}


class Kind(StrEnum):
    """What a signal is about."""

    SCHEDULE = "schedule"
    CAMPAIGN = "campaign"


@dataclass(frozen=True)
class Signal:
    """Rows of one kind changed elsewhere; `ids` None means "re-read every row of the kind"."""

    kind: Kind
    ids: frozenset[int] | None


def origin_of(engine: Engine) -> str:
    """Who sends: this process and engine (a listener skips what its own engine sent)."""
    return f"{os.getpid()}.{id(engine.pool)}"


def mark(session: Session | AsyncSession, kind: Kind, row_id: int) -> None:
    """Signal a change the ORM does not see (bulk UPDATE / DELETE) at the next commit."""
    session.info.setdefault(_INFO_KEY, defaultdict(set))[kind].add(row_id)


def _is_postgres(session: Session) -> bool:
    try:
        return session.get_bind().dialect.name == "postgresql"
    except Exception:
        return False


def _changed(obj: Any, columns: tuple[str, ...]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in columns)


def _collect(session: Session, _context: Any) -> None:
    if not _is_postgres(session):
        return
    for obj in chain(session.new, session.dirty, session.deleted):
        columns = _WATCHED.get(type(obj))  # type: ignore[call-overload]  # any mapped class may come by
        if columns is None:
            continue
        fresh = obj in session.new or obj in session.deleted
        if obj.id is not None and (fresh or _changed(obj, columns)):
            kind = Kind.SCHEDULE if isinstance(obj, Schedule) else Kind.CAMPAIGN
            mark(session, kind, obj.id)


def _notify(session: Session) -> None:
    if session.in_nested_transaction() or not _is_postgres(session):
        return
    session.flush()  # before_commit runs ahead of the commit's own flush
    pending: dict[Kind, set[int]] | None = session.info.pop(_INFO_KEY, None)
    if not pending:
        return
    origin = origin_of(session.get_bind())  # type: ignore[arg-type]  # a sync Session binds an Engine here
    for kind, ids in pending.items():
        listed = ",".join(map(str, sorted(ids)))
        payload = f"{origin} {kind} {listed if len(listed) < MAX_PAYLOAD else ALL_IDS}"
        session.execute(text(f"SELECT pg_notify({CHANNEL_SQL}, :payload)"), {"payload": payload})


def _forget(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_INFO_KEY, None)


_HOOKS = (("after_flush", _collect), ("before_commit", _notify), ("after_rollback", _forget))


def notify_at_commit() -> None:
    """Make every session of this process NOTIFY its watched changes (once per process)."""
    for name, hook in _HOOKS:
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)


def parse(payload: str) -> tuple[str, Signal] | None:
    """(origin, signal) of a payload, None if it is not one of ours."""
    try:
        origin, kind, listed = payload.split(" ", 2)
        ids = None if listed == ALL_IDS else frozenset(int(i) for i in listed.split(",") if i)
        return origin, Signal(Kind(kind), ids)
    except ValueError:
        return None


Handler = Callable[[Signal], None]


class SignalListener:
    """LISTENs on a dedicated connection of `engine` and hands signals of other processes
    (and other engines of this one) to subscribers; reconnects when the connection drops.

    Handlers are plain callables that must not block (queue the work). `on_connected`
    handlers run after every (re)connect: signals sent while disconnected are lost, so a
    subscriber re-reads everything then.
    """

    def __init__(
        self, engine: AsyncEngine, *, check_seconds: float = 5.0, retry_seconds: float = 1.0
    ) -> None:
        self.engine = engine
        self.check_seconds = check_seconds
        self.retry_seconds = retry_seconds
        self.connected = asyncio.Event()
        self.origin = origin_of(engine.sync_engine)
        self._handlers: dict[Kind, list[Handler]] = defaultdict(list)
        self._on_connected: list[Callable[[], None]] = []
        self._task: asyncio.Task[None] | None = None
        self._connection: AsyncConnection | None = None
        self._lost = asyncio.Event()

    def subscribe(self, kind: Kind, handler: Handler) -> None:
        """Call `handler` for every signal of `kind` from elsewhere."""
        self._handlers[kind].append(handler)

    def on_connected(self, handler: Callable[[], None]) -> None:
        """Call `handler` after each (re)connect."""
        self._on_connected.append(handler)

    async def start(self) -> None:
        """Start listening in the background (PostgreSQL only)."""
        if self.engine.dialect.name == "postgresql" and self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop listening and close the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close()

    async def backend_pid(self) -> int | None:
        """The listening connection's server process (for tests and diagnostics)."""
        if self._connection is None:
            return None
        raw = await self._connection.get_raw_connection()
        return int(raw.driver_connection.get_server_pid())  # type: ignore[union-attr]  # asyncpg on PostgreSQL only

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("change listener: %s; reconnecting", type(exc).__name__)
            self.connected.clear()
            await self._close()
            await asyncio.sleep(self.retry_seconds)

    async def _listen(self) -> None:
        self._lost.clear()
        self._connection = await self.engine.connect()
        raw = (await self._connection.get_raw_connection()).driver_connection
        assert raw is not None
        channel = await raw.fetchval(f"SELECT {CHANNEL_SQL}")
        raw.add_termination_listener(lambda _conn: self._lost.set())
        await raw.add_listener(channel, self._received)
        self.connected.set()
        for handler in self._on_connected:
            handler()
        while not self._lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), self.check_seconds)
            if not self._lost.is_set():
                # A half-open socket never tells: ask the server now and then.
                await asyncio.wait_for(raw.fetchval("SELECT 1"), self.check_seconds)
        raise ConnectionError("listener connection closed")

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        parsed = parse(payload)
        if parsed is None or parsed[0] == self.origin:
            return  # own changes reach own subscribers through the in-process bus
        signal = parsed[1]
        for handler in self._handlers.get(signal.kind, ()):
            try:
                handler(signal)
            except Exception:
                log.exception("signal handler %r failed", handler)

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # Never back to the pool: the next user would inherit the LISTEN.
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()
