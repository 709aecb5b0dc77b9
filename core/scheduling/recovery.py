"""After downtime: missed runs recorded (the last fired within grace), missed campaigns undone."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from core.campaign_actions import unschedule_campaign
from core.context import Actor
from core.lifecycle import ScheduleKind, ScheduleRunStatus, ScheduleStatus, Status
from core.scheduling.launch import SYSTEM
from core.scheduling.parsing import parse_schedule
from core.scheduling.recurrence import occurrences
from core.scheduling.runs import advance, fire
from core.uow import UnitOfWork
from storage.models_scheduling import ScheduleRun
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.schedule_runs import ScheduleRunRepository
from storage.repositories.schedules import ScheduleRepository

log = logging.getLogger(__name__)
MAX_MISSED_RECORDED = 100


async def catch_up(uow: UnitOfWork, schedule_id: int, grace: timedelta) -> datetime | None:
    """After downtime: record missed runs, fire the last one if within grace; next run time."""
    schedule = await ScheduleRepository(uow.session).get(None, schedule_id, lock=True)
    now = uow.clock()
    if schedule is None or schedule.next_run_at is None or schedule.next_run_at > now:
        return schedule.next_run_at if schedule else None
    parsed = parse_schedule(
        schedule.type, schedule.schedule, schedule.next_run_at - timedelta(seconds=1)
    )
    due = [schedule.next_run_at]
    if parsed.rule is not None:
        due += occurrences(parsed.rule, schedule.next_run_at, now, MAX_MISSED_RECORDED)
    last = due[-1]
    repo = ScheduleRunRepository(uow.session)
    for moment in due[:-1] if now - last <= grace else due:
        await repo.add_run(
            ScheduleRun(schedule_id=schedule.id, scheduled_for=moment,
                        status=ScheduleRunStatus.MISSED, detail="the service was down at this time")
        )  # fmt: skip
    if now - last <= grace:
        schedule.next_run_at = last
        await uow.flush()
        await fire(uow, schedule.id, last)
        return schedule.next_run_at
    schedule.last_run_at = last
    if schedule.type == ScheduleKind.ONE_TIME:
        schedule.status, schedule.next_run_at = ScheduleStatus.FAILED, None
    else:
        advance(schedule, last, now)
    schedule.updated_at = now
    return schedule.next_run_at


async def miss_campaign(uow: UnitOfWork, campaign_id: int) -> None:
    """A campaign's time passed beyond the grace period while down: back to draft, noted."""
    campaign = await CampaignRepository(uow.session).by_id(campaign_id, lock=True)
    if campaign is not None and campaign.status == Status.SCHEDULED:
        log.warning("campaign %s missed its time while the service was down", campaign_id)
        await unschedule_campaign(uow, Actor(campaign.tenant_id, SYSTEM), campaign)
