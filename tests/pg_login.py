"""An empty PostgreSQL schema that a child process reaches by DATABASE_URL alone.

A URL cannot carry a search_path (asyncpg), so each schema gets a login role of the same name
whose default search_path is that schema: `postgresql+asyncpg://<role>@host/db`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from tests.conftest import _PG_PROBLEM, PG_URL


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None."""
    return None if _PG_PROBLEM is None else f"PostgreSQL not reachable at {PG_URL}: {_PG_PROBLEM}"


async def _admin(*statements: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


@asynccontextmanager
async def empty_schema() -> AsyncIterator[str]:
    """Yield the DATABASE_URL of a fresh empty schema; drop schema and role afterwards."""
    name = f"s_{uuid.uuid4().hex[:10]}"
    await _admin(
        f'CREATE ROLE "{name}" LOGIN',
        f'CREATE SCHEMA "{name}" AUTHORIZATION "{name}"',
        f'ALTER ROLE "{name}" SET search_path = "{name}"',
    )
    url = make_url(PG_URL).set(username=name, password=None)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        await _admin(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE usename = '{name}' AND pid <> pg_backend_pid()",
            f'DROP SCHEMA IF EXISTS "{name}" CASCADE',
            f'DROP ROLE IF EXISTS "{name}"',
        )


def engine_for(url: str) -> AsyncEngine:
    """A small engine on that schema (the role's search_path applies)."""
    return create_async_engine(url, pool_size=2)
