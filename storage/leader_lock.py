"""SQL of the scheduler's leader lock: a PostgreSQL session advisory lock held on one connection.

scheduler/leader.py decides when to take, check and give back the lock; these run its
statements on the connection it holds (each commits, so the connection never idles in a
transaction) and leave error handling to it.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

# The key names "the scheduler of this database schema", so deployments (or test runs)
# sharing one PostgreSQL server in different schemas do not block each other.
LOCK_KEY_SQL = (
    "hashtext(current_database() || '.' || current_schema() || '.tg-campaigns-scheduler')"
)


async def try_lock(connection: AsyncConnection) -> bool:
    """Take the lock for this connection's session if it is free; whether it was."""
    got = await connection.scalar(text(f"SELECT pg_try_advisory_lock({LOCK_KEY_SQL})"))
    await connection.commit()
    return bool(got)


async def unlock(connection: AsyncConnection) -> None:
    """Give the lock back (the connection stays open)."""
    await connection.execute(text(f"SELECT pg_advisory_unlock({LOCK_KEY_SQL})"))
    await connection.commit()


async def ping(connection: AsyncConnection) -> None:
    """A round trip: raises when the connection (and with it the lock) is gone."""
    await connection.execute(text("SELECT 1"))
    await connection.commit()


async def backend_pid(connection: AsyncConnection) -> int:
    """The server process behind the connection."""
    pid = await connection.scalar(text("SELECT pg_backend_pid()"))
    await connection.commit()
    return int(pid)
