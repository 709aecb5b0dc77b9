"""Throwaway infrastructure of one cluster: a private PostgreSQL schema and Redis namespace.

The service is pointed at its database by DATABASE_URL alone, and an asyncpg URL cannot carry
a search_path: each cluster gets a login role whose default search_path is its own schema.
(A database per cluster would isolate LISTEN/NOTIFY channels too, but DROP DATABASE forces a
checkpoint: 8-30 s on the shared machine.)
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


async def postgres_problem(url: str = PG_URL) -> str | None:
    """None when PostgreSQL answers at `url`, else why not."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        return f"PostgreSQL not reachable at {url}: {type(exc).__name__}: {exc}"
    finally:
        await engine.dispose()
    return None


async def redis_problem(url: str = REDIS_URL) -> str | None:
    """None when Redis answers at `url`, else why not."""
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        await client.ping()
    except Exception as exc:
        return f"Redis not reachable at {url}: {type(exc).__name__}: {exc}"
    finally:
        await client.aclose()
    return None


class ScratchSchema:
    """An empty schema reached by DATABASE_URL alone; schema and role are dropped at the end.

    The URL names a login role of the schema's name whose search_path is that schema (trust
    authentication, as on the test server).
    """

    def __init__(self, admin_url: str = PG_URL, prefix: str = "scale") -> None:
        self.admin_url = admin_url
        self.name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        url = make_url(admin_url).set(username=self.name, password=None)
        self.url = url.render_as_string(hide_password=False)

    async def _admin(self, *statements: str) -> None:
        engine = create_async_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                for statement in statements:
                    await conn.execute(text(statement))
        finally:
            await engine.dispose()

    async def create(self) -> None:
        """Create role and schema (the service migrates it at start)."""
        name = self.name
        await self._admin(
            f'CREATE ROLE "{name}" LOGIN',
            f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"',
            f'ALTER ROLE "{name}" SET search_path = "{name}"',
        )

    async def drop(self) -> None:
        """Disconnect whatever still holds a connection, drop schema and role."""
        name = self.name
        await self._admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE usename = '{name}' AND pid <> pg_backend_pid()",
            f'DROP SCHEMA IF EXISTS "{name}" CASCADE',
            f'DROP ROLE IF EXISTS "{name}"',
        )

    def engine(self) -> AsyncEngine:
        """An engine on the scratch schema (for reading the ledger directly)."""
        return create_async_engine(self.url, pool_size=2)


async def forget_redis_keys(url: str, *needles: str) -> int:
    """Delete the keys naming any of `needles` (the cluster's bot id); returns how many."""
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    removed = 0
    try:
        for needle in needles:
            async for key in client.scan_iter(match=f"*{needle}*", count=500):
                removed += await client.delete(key)
    finally:
        await client.aclose()
    return removed
