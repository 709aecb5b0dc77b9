"""Trigger events (deduplicated) and the delayed jobs they cause."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import TriggerJobStatus
from storage.models_scheduling import TriggerEvent, TriggerJob


class TriggerRepository:
    """Events and trigger jobs."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _insert(self, row: object) -> bool:
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def add_event(self, event: TriggerEvent) -> bool:
        """Store an event; False when its id was seen before."""
        return await self._insert(event)

    async def add_job(self, job: TriggerJob) -> int:
        """Plan a send (1), or 0 when this event already planned one for the schedule."""
        return 1 if await self._insert(job) else 0

    async def due_jobs(self, now: datetime, limit: int) -> list[TriggerJob]:
        """Pending jobs due at `now`, oldest first, locked against other schedulers."""
        rows = await self.session.scalars(
            select(TriggerJob)
            .where(TriggerJob.status == TriggerJobStatus.PENDING, TriggerJob.due_at <= now)
            .order_by(TriggerJob.due_at, TriggerJob.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(rows)

    async def earliest_due(self) -> datetime | None:
        """The due time of the next pending job."""
        return await self.session.scalar(
            select(func.min(TriggerJob.due_at)).where(TriggerJob.status == TriggerJobStatus.PENDING)
        )
