"""Hot read statements run straight on the driver: compiled once per shape, one round trip.

SQLAlchemy's per-execution work (statement building, cache-key generation, aiosqlite's several
thread hops per statement, generic result processing) costs several times the query itself on
the busiest list endpoints. A statement here is built from bind parameters only, compiled once
per shape and dialect, then executed with the driver's own one-call fetch; its rows are
converted by a few column-type converters chosen at compile time.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Callable, Hashable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Select
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from storage.db import json_loads
from storage.types import UTCDateTime

Converter = Callable[[Any], Any]
READ_SLOTS = 4


def _sqlite_datetime(value: Any) -> datetime | None:
    # SQLite keeps UTC datetimes as naive ISO text
    if value is None:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _sqlite_json(value: Any) -> Any:
    return None if value is None else json_loads(value)


def _boolean(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _converter(type_: Any, dialect: str) -> Converter | None:
    """How a raw driver value of this column type becomes what the ORM would give."""
    if isinstance(type_, UTCDateTime):
        return _sqlite_datetime if dialect == "sqlite" else None  # asyncpg: aware UTC already
    if isinstance(type_, JSON):
        return _sqlite_json if dialect == "sqlite" else None  # asyncpg: SQLAlchemy's codec
    if isinstance(type_, Boolean):
        return _boolean if dialect == "sqlite" else None
    return None


@dataclass(frozen=True)
class CompiledRead:
    """A read statement compiled for one dialect: SQL text, bind order, row converters."""

    sql: str
    names: tuple[str, ...]
    defaults: dict[str, Any]
    converters: tuple[tuple[int, Converter], ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """Positional driver arguments for the named parameters."""
        merged = {**self.defaults, **params}
        return [merged[name] for name in self.names]

    def convert(self, rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
        """Rows with their column values converted."""
        if not self.converters:
            return [tuple(row) for row in rows]
        result = []
        for row in rows:
            values = list(row)
            for index, convert in self.converters:
                values[index] = convert(values[index])
            result.append(tuple(values))
        return result


def compile_read(statement: Select[Any], dialect: Dialect) -> CompiledRead:
    """Compile a SELECT whose varying values are all named bind parameters."""
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    # Literal values inside the statement (not the named ones) keep their compiled values.
    defaults = {name: compiled.binds[name].effective_value for name in names}
    converters = tuple(
        (index, convert)
        for index, column in enumerate(statement.selected_columns)
        if (convert := _converter(column.type, dialect.name)) is not None
    )
    return CompiledRead(compiled.string, names, defaults, converters)


class DirectReads:
    """Compiled read statements of one engine, by shape, and how many may borrow a
    connection at once."""

    def __init__(self, dialect: Dialect, slots: int = READ_SLOTS) -> None:
        self.dialect = dialect
        self._compiled: dict[Hashable, CompiledRead] = {}
        # Bounded below the pool size: a burst of requests queues here instead of making the
        # pool open (and then close) overflow connections, each a thread on SQLite.
        self.slots = asyncio.Semaphore(slots)

    def compiled(self, shape: Hashable, build: Callable[[], Select[Any]]) -> CompiledRead:
        """The statement of `shape`, built and compiled on first use."""
        found = self._compiled.get(shape)
        if found is None:
            found = self._compiled[shape] = compile_read(build(), self.dialect)
        return found

    async def fetch(
        self,
        conn: AsyncConnection,
        shape: Hashable,
        build: Callable[[], Select[Any]],
        params: Mapping[str, Any],
    ) -> list[tuple[Any, ...]]:
        """Run the statement of `shape` on `conn`'s driver connection in one round trip."""
        statement = self.compiled(shape, build)
        arguments = statement.arguments(params)
        driver: Any = (await conn.get_raw_connection()).driver_connection
        if self.dialect.name == "sqlite":
            rows = await driver.execute_fetchall(statement.sql, arguments)
        else:
            rows = await driver.fetch(statement.sql, *arguments)
        return statement.convert(rows)


_READS: weakref.WeakKeyDictionary[Engine, DirectReads] = weakref.WeakKeyDictionary()


def direct_reads(conn: AsyncConnection | AsyncEngine) -> DirectReads:
    """The compiled statements of `conn`'s engine."""
    engine = conn.sync_engine
    reads = _READS.get(engine)
    if reads is None:
        reads = _READS[engine] = DirectReads(conn.dialect)
    return reads


DEFERRED_COUNT_TRIGGERS = "campaign_counts_change, campaign_counts_update"


@asynccontextmanager
async def read_connection(session: AsyncSession) -> AsyncIterator[tuple[AsyncConnection, bool]]:
    """A connection to read with, and whether it may see uncommitted writes.

    A session inside a transaction reads through it (its own writes must show); otherwise a
    pooled connection is borrowed, so the session never begins (nothing to commit later).
    """
    await session.flush()
    if session.in_transaction():
        conn = await session.connection()
        driver: Any = (await conn.get_raw_connection()).driver_connection
        if conn.dialect.name == "sqlite":
            writing = bool(driver.in_transaction)  # pysqlite opens a transaction only to write
        else:
            writing = bool(driver.is_in_transaction())  # autocommit reads have none
            if writing:
                # campaign_counts follows this transaction's changes only at commit (deferred
                # triggers, migration 0011); a read inside it must count them now.
                await conn.exec_driver_sql(f"SET CONSTRAINTS {DEFERRED_COUNT_TRIGGERS} IMMEDIATE")
        yield conn, writing
        return
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("read_connection needs a session bound to an AsyncEngine")
    async with direct_reads(engine).slots, engine.connect() as conn:
        yield conn, False
