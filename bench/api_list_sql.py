"""The list endpoint's SQL for bench/api_list.py --breakdown: each storage.direct statement
timed as the service runs it, and replayed on a plain driver connection."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from storage.direct import CompiledRead, DirectReads


@dataclass(frozen=True)
class TimedStatement:
    """One DirectReads.fetch: its SQL and driver arguments, and where its time went."""

    sql: str
    arguments: list[Any]
    fetch_s: float  # the whole fetch: driver connection, round trip, conversion
    convert_s: float  # of which CompiledRead.convert


class StatementTimer:
    """Records every DirectReads.fetch while installed (one request at a time)."""

    def __init__(self) -> None:
        self.statements: list[TimedStatement] = []
        self._converting = 0.0

    @contextmanager
    def installed(self) -> Iterator[StatementTimer]:
        """Wrap DirectReads.fetch and CompiledRead.convert; the originals come back after."""
        fetch, convert = DirectReads.fetch, CompiledRead.convert
        timer = self

        async def timed_fetch(
            reads: DirectReads, conn: Any, shape: Any, build: Any, params: Any
        ) -> list[tuple[Any, ...]]:
            converted = timer._converting
            t0 = time.perf_counter()
            rows = await fetch(reads, conn, shape, build, params)
            elapsed = time.perf_counter() - t0
            statement = reads.compiled(shape, build)  # compiled by now: a dict lookup
            timer.statements.append(
                TimedStatement(
                    statement.sql,
                    statement.arguments(params),
                    elapsed,
                    timer._converting - converted,
                )
            )
            return rows

        def timed_convert(
            statement: CompiledRead, rows: Sequence[Sequence[Any]]
        ) -> list[tuple[Any, ...]]:
            t0 = time.perf_counter()
            try:
                return convert(statement, rows)
            finally:
                timer._converting += time.perf_counter() - t0

        DirectReads.fetch = timed_fetch  # type: ignore[method-assign]
        CompiledRead.convert = timed_convert  # type: ignore[method-assign]
        try:
            yield self
        finally:
            DirectReads.fetch = fetch  # type: ignore[method-assign]
            CompiledRead.convert = convert  # type: ignore[method-assign]


class RawDriver:
    """A bare sqlite3 / asyncpg connection to replay compiled statements without the service."""

    def __init__(self, kind: str, conn: Any) -> None:
        self.kind, self.conn = kind, conn

    @classmethod
    async def open(cls, url: str, schema: str | None) -> RawDriver:
        """A connection to the bench database (and schema)."""
        if url.startswith("sqlite"):
            import sqlite3

            conn = sqlite3.connect(url.split(":///", 1)[-1])
            conn.execute("PRAGMA cache_size=-65536")  # as storage.db sets it
            return cls("sqlite", conn)
        import asyncpg
        from sqlalchemy.engine import make_url

        u = make_url(url)
        conn = await asyncpg.connect(
            host=u.host,
            port=u.port,
            user=u.username,
            password=u.password,
            database=u.database,
            server_settings={"search_path": schema} if schema else None,
        )
        return cls("pg", conn)

    async def run_timed(self, statement: TimedStatement) -> float:
        """Seconds to run the statement and fetch all its rows."""
        t0 = time.perf_counter()
        if self.kind == "sqlite":
            self.conn.execute(statement.sql, statement.arguments).fetchall()
        else:
            await self.conn.fetch(statement.sql, *statement.arguments)
        return time.perf_counter() - t0

    async def plan(self, statement: TimedStatement) -> str:
        """The query plan: EXPLAIN QUERY PLAN (SQLite), EXPLAIN (ANALYZE, BUFFERS) (PG)."""
        sql, arguments = statement.sql, statement.arguments
        if self.kind == "sqlite":
            rows = self.conn.execute("EXPLAIN QUERY PLAN " + sql, arguments).fetchall()
            return " | ".join(r[-1] for r in rows) + "   <- " + " ".join(sql.split())[:160]
        rows = await self.conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *arguments)
        return "\n".join(r[0] for r in rows)

    async def close(self) -> None:
        """Close the connection."""
        if self.kind == "sqlite":
            self.conn.close()
        else:
            await self.conn.close()
