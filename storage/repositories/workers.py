"""Heartbeats of the sender processes, by which their claims are known to be alive."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Worker, table_of


class WorkerRepository:
    """Heartbeats of sender processes."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def beat(self, worker_id: str, now: datetime) -> None:
        """Register or refresh a worker."""
        found = await self.session.get(Worker, worker_id)
        if found is None:
            self.session.add(Worker(id=worker_id, started_at=now, heartbeat_at=now))
        else:
            found.heartbeat_at = now
        await self.session.flush()

    async def live(self, since: datetime) -> list[str]:
        """Workers that beat at or after `since`."""
        return list(
            await self.session.scalars(select(Worker.id).where(Worker.heartbeat_at >= since))
        )

    async def forget_others(self, worker_id: str) -> None:
        """Drop every other worker (single-process SQLite: they are all dead)."""
        await self.session.execute(table_of(Worker).delete().where(Worker.id != worker_id))

    async def forget_silent(self, before: datetime) -> int:
        """Drop workers whose last beat is older than `before` (killed processes); how many."""
        result = await self.session.execute(
            table_of(Worker).delete().where(Worker.heartbeat_at < before)
        )
        # A DML statement without RETURNING runs as a CursorResult, which carries rowcount.
        return int(cast(CursorResult[Any], result).rowcount or 0)

    async def forget(self, worker_id: str) -> None:
        """Drop one worker (clean shutdown)."""
        await self.session.execute(table_of(Worker).delete().where(Worker.id == worker_id))
