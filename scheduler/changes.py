"""What the timer re-reads when other processes signal changes (or a resync asks for all)."""

from __future__ import annotations

from datetime import datetime

from core.context import CoreContext
from storage.repositories.schedule_timers import TimerRepository
from storage.signals import Kind, Signal


def merge(batch: list[Signal]) -> dict[Kind, set[int] | None]:
    """Ids to re-read per kind; None: every row of the kind."""
    wanted: dict[Kind, set[int] | None] = {}
    for signal in batch:
        known = wanted.get(signal.kind, set())
        wanted[signal.kind] = None if known is None or signal.ids is None else known | signal.ids
    return wanted


async def reread(core: CoreContext, batch: list[Signal]) -> dict[str, datetime | None]:
    """Timer key -> when it should ring now (None: it should not), as the database says."""
    wanted = merge(batch)
    found: dict[str, datetime | None] = {}
    async with core.uow(read_only=True) as uow:
        repo = TimerRepository(uow.session)
        if Kind.SCHEDULE in wanted:
            ids = wanted[Kind.SCHEDULE]
            schedules = (
                await repo.waiting_schedules()
                if ids is None
                else (await repo.next_runs(sorted(ids))).items()
            )
            found.update((f"schedule:{i}", at) for i, at in schedules)
        if Kind.CAMPAIGN in wanted:
            ids = wanted[Kind.CAMPAIGN]
            campaigns = (
                await repo.scheduled_campaigns()
                if ids is None
                else (await repo.campaign_times(sorted(ids))).items()
            )
            found.update((f"campaign:{i}", at) for i, at in campaigns)
    return found
