"""Exactly one process schedules: a PostgreSQL session advisory lock, or SQLite's one process."""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage import leader_lock

log = logging.getLogger(__name__)


class LeaderLock:
    """Held for as long as this process is the scheduler; released when it stops or dies."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None

    @property
    def held(self) -> bool:
        """Whether this process leads."""
        return self._connection is not None or self.engine.dialect.name == "sqlite"

    async def try_acquire(self) -> bool:
        """Take the lock if free (PostgreSQL); on SQLite the single process always leads."""
        if self.engine.dialect.name == "sqlite":
            return True
        if self._connection is not None:
            if await self._alive():
                return True
            await self._drop()
        connection = await self.engine.connect()
        try:
            got = await leader_lock.try_lock(connection)
        except Exception:
            await connection.close()
            raise
        if not got:
            await connection.close()
            return False
        self._connection = connection
        log.info("this process is now the scheduler (PostgreSQL advisory lock)")
        return True

    async def still_held(self) -> bool:
        """Whether the lock is still ours (its connection answers); forgets it if not."""
        if self.engine.dialect.name == "sqlite":
            return True
        if self._connection is None:
            return False
        if await self._alive():
            return True
        await self._drop()
        return False

    async def backend_pid(self) -> int | None:
        """The lock connection's server process (tests kill it to simulate a dead leader)."""
        if self._connection is None:
            return None
        return await leader_lock.backend_pid(self._connection)

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            # Invalidate, never pool: a pooled connection would keep the session lock.
            with contextlib.suppress(Exception):
                await connection.invalidate()

    async def _alive(self) -> bool:
        assert self._connection is not None
        try:
            await leader_lock.ping(self._connection)
        except Exception:
            log.warning("lost the scheduler lock connection")
            return False
        return True

    async def release(self) -> None:
        """Give the lock back (clean shutdown); a dead connection has already freed it."""
        if self._connection is None:
            return
        try:
            await leader_lock.unlock(self._connection)
        except Exception:
            log.warning("the scheduler lock connection was already gone")
            await self._drop()
            return
        connection, self._connection = self._connection, None
        await connection.close()
