"""What the timer needs to know: next run times of schedules and scheduled campaigns."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import WAITING_STATUSES, Status
from storage.models import Campaign
from storage.models_scheduling import Schedule

WAITING = tuple(sorted(WAITING_STATUSES))


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
        # The WHERE already leaves NULL times out; the check narrows the type.
        return [(row[0], row[1]) for row in rows.all() if row[1] is not None]

    async def scheduled_campaigns(self) -> list[tuple[int, datetime]]:
        """(id, time) of campaigns in status scheduled."""
        rows = await self.session.execute(
            select(Campaign.id, Campaign.scheduled_at).where(
                Campaign.status == Status.SCHEDULED, Campaign.scheduled_at.is_not(None)
            )
        )
        # The WHERE already leaves NULL times out; the check narrows the type.
        return [(row[0], row[1]) for row in rows.all() if row[1] is not None]

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
        return row[1] if row and row[0] == Status.SCHEDULED else None

    async def next_runs(self, schedule_ids: Sequence[int]) -> dict[int, datetime | None]:
        """Each schedule's next run (None unless it waits; None too for a deleted one)."""
        found = dict.fromkeys(schedule_ids, None)
        rows = await self.session.execute(
            select(Schedule.id, Schedule.status, Schedule.next_run_at).where(
                Schedule.id.in_(schedule_ids)
            )
        )
        for schedule_id, status, next_run in rows.all():
            found[schedule_id] = next_run if status in WAITING else None
        return found

    async def campaign_times(self, campaign_ids: Sequence[int]) -> dict[int, datetime | None]:
        """Each campaign's scheduled time (None unless it is scheduled, or gone)."""
        found = dict.fromkeys(campaign_ids, None)
        rows = await self.session.execute(
            select(Campaign.id, Campaign.status, Campaign.scheduled_at).where(
                Campaign.id.in_(campaign_ids)
            )
        )
        for campaign_id, status, at in rows.all():
            found[campaign_id] = at if status == Status.SCHEDULED else None
        return found
