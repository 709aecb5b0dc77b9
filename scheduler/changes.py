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
        readers = {
            Kind.SCHEDULE: (repo.waiting_schedules, repo.next_runs),
            Kind.CAMPAIGN: (repo.scheduled_campaigns, repo.campaign_times),
        }
        for kind, ids in wanted.items():
            every, some = readers[kind]
            rows = await every() if ids is None else (await some(sorted(ids))).items()
            found.update((f"{kind}:{i}", at) for i, at in rows)
    return found
