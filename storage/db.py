"""Engine and session factory for SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import signals
from storage.sqlite_writer_gate import GatedConnection

# A pooled PostgreSQL connection idle longer than this is pinged before use; busy ones are not
# (pool_pre_ping would cost a round trip on every checkout).
PING_AFTER_IDLE_SECONDS = 10.0
RECYCLE_SECONDS = 1800
POOL_SIZE = 10
MAX_OVERFLOW = 20


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; busy_timeout makes writers queue, not fail.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def json_loads(text: str | bytes) -> Any:
    """orjson's speed; json's leniency (NaN, huge integers) for whatever orjson refuses."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def _ping_idle_connections(engine: Engine) -> None:
    """Check a connection that sat idle before handing it out; a dead one is replaced."""

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and checks out (or opens) another.
            raise exc.DisconnectionError() from error


def create_engine(
    url: str, *, echo: bool = False, connect_args: dict[str, Any] | None = None
) -> AsyncEngine:
    """An async engine for `url`, creating the SQLite folder and setting its pragmas."""
    # hide_parameters: bound values (names, message texts) stay out of echo lines and of the
    # text of database errors, which end up in logged tracebacks.
    kwargs: dict[str, Any] = {
        "echo": echo,
        "hide_parameters": True,
        "json_deserializer": json_loads,
    }
    if connect_args:
        kwargs["connect_args"] = connect_args
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and not path.startswith(":memory:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # aiosqlite hands these to sqlite3.connect in the connection's thread.
            kwargs["connect_args"] = {"factory": GatedConnection, **(connect_args or {})}
            # Each aiosqlite connection is a thread plus its PRAGMAs: keep enough of them open
            # that concurrent requests do not open and close overflow connections.
            kwargs.update(pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)
        # Sessions always end their transaction themselves (and SQLAlchemy rolls back one left
        # open on close), so the pool's extra rollback on return would only add a thread hop.
        kwargs["pool_reset_on_return"] = None
    else:
        kwargs.update(pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW, pool_recycle=RECYCLE_SECONDS)
    engine = create_async_engine(url, **kwargs)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        _ping_idle_connections(engine.sync_engine)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (and signal changes at commit)."""
    signals.notify_at_commit()
    return async_sessionmaker(engine, expire_on_commit=False)


def read_only_bind(engine: AsyncEngine) -> AsyncEngine:
    """The engine for units of work that only read, sharing `engine`'s pool.

    PostgreSQL: autocommit, so no BEGIN/COMMIT around the reads (each statement still sees
    one consistent snapshot). SQLite reads take no transaction anyway.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine
