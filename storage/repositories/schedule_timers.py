"""What the timer needs to know: next run times of schedules and scheduled campaigns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign
from storage.models_scheduling import Schedule

WAITING = ("scheduled", "active")


class TimerRepository:
    """Read-only queries of the scheduler."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def waiting_schedules(self) -> list[tuple[int, datetime]]:
        """(id, next run) of schedules that will fire."""
        rows = await self.session.execute(
            select(Schedule.id, Schedule.next_run_at).where(
                Schedule.status.in_(WAITING), Schedule.next_run_at.is_not(None)
            )
        )
        return [(row[0], row[1]) for row in rows.all()]

    async def scheduled_campaigns(self) -> list[tuple[int, datetime]]:
        """(id, time) of campaigns in status scheduled."""
        rows = await self.session.execute(
            select(Campaign.id, Campaign.scheduled_at).where(
                Campaign.status == "scheduled", Campaign.scheduled_at.is_not(None)
            )
        )
        return [(row[0], row[1]) for row in rows.all()]

    async def next_run(self, schedule_id: int) -> datetime | None:
        """A schedule's next run if it is waiting."""
        row = (
            await self.session.execute(
                select(Schedule.status, Schedule.next_run_at).where(Schedule.id == schedule_id)
            )
        ).first()
        return row[1] if row and row[0] in WAITING else None

    async def campaign_time(self, campaign_id: int) -> datetime | None:
        """A scheduled campaign's time (None unless it is scheduled)."""
        row = (
            await self.session.execute(
                select(Campaign.status, Campaign.scheduled_at).where(Campaign.id == campaign_id)
            )
        ).first()
        return row[1] if row and row[0] == "scheduled" else None

    async def changed_since(self, since: datetime) -> list[tuple[int, str, datetime | None]]:
        """(id, status, next run) of schedules updated since `since`."""
        rows = await self.session.execute(
            select(Schedule.id, Schedule.status, Schedule.next_run_at).where(
                Schedule.updated_at >= since
            )
        )
        return [(row[0], row[1], row[2]) for row in rows.all()]
