"""Firing schedules: each run is an execution of the delivery engine, recorded once."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from core.campaign_actions import start_execution
from core.context import Actor
from core.ids import format_id
from core.lifecycle import (
    WAITING_STATUSES,
    ScheduleAction,
    ScheduleRunStatus,
    Status,
    next_schedule_status,
)
from core.models import ExecuteOptions
from core.scheduling.inputs import TestRun
from core.scheduling.launch import SYSTEM, launch_all, launch_test
from core.scheduling.parsing import parse_schedule
from core.scheduling.recurrence import next_occurrence
from core.uow import UnitOfWork
from storage.models_scheduling import Schedule, ScheduleRun
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.schedule_runs import ScheduleRunRepository


def advance(schedule: Schedule, fired_for: datetime, now: datetime) -> None:
    """Plan the run after `fired_for` (never in the past), or complete the schedule."""
    parsed = parse_schedule(schedule.type, schedule.schedule, now, check_past=False)
    upcoming = None
    if parsed.rule is not None:
        upcoming = next_occurrence(parsed.rule, max(now, fired_for))
    limit = parsed.max_occurrences
    if upcoming is None or (limit is not None and schedule.run_count >= limit):
        schedule.status = next_schedule_status(
            schedule.type, schedule.status, ScheduleAction.COMPLETE
        )
        schedule.next_run_at = None
    else:
        schedule.next_run_at = upcoming


class Fired(NamedTuple):
    """What firing did to one schedule: its execution (None if none ran) and next timer."""

    execution_id: int | None
    next_run: datetime | None


async def fire_many(uow: UnitOfWork, due: Mapping[int, datetime]) -> dict[int, Fired]:
    """Run schedules for their planned times in one unit of work (`due`: id -> planned time).

    A schedule runs only if it still waits for exactly that time and its run row is new.
    """
    repo = ScheduleRunRepository(uow.session)
    schedules = await repo.lock_many(sorted(due))
    now = uow.clock()
    # A stale timer (the schedule changed since it was set) finds nothing to run.
    ready = [s for s in schedules if s.status in WAITING_STATUSES and s.next_run_at == due[s.id]]
    claimed = await repo.claim_runs([(s.id, due[s.id]) for s in ready], now)
    ready = [s for s in ready if s.id in claimed]
    campaigns = await repo.campaigns({s.campaign_id for s in ready})
    outcomes = await launch_all(uow, [(s, campaigns.get(s.campaign_id)) for s in ready])
    # Schedules change only after every launch, so their UPDATEs are flushed together.
    for schedule in ready:
        schedule.last_run_at = due[schedule.id]
        schedule.run_count += 1
        advance(schedule, due[schedule.id], now)
        schedule.updated_at = now
    await repo.finish_runs(
        [{"id": claimed[s.id], **o} for s, o in zip(ready, outcomes, strict=True)]
    )
    executions = {s.id: o["execution_id"] for s, o in zip(ready, outcomes, strict=True)}
    return {
        s.id: Fired(executions.get(s.id), s.next_run_at if s.status in WAITING_STATUSES else None)
        for s in schedules
    }


async def fire(uow: UnitOfWork, schedule_id: int, scheduled_for: datetime) -> int | None:
    """Run a schedule for its planned time; returns the execution id (None if not due/fired)."""
    fired = await fire_many(uow, {schedule_id: scheduled_for})
    return fired[schedule_id].execution_id if schedule_id in fired else None


async def test_run(uow: UnitOfWork, schedule: Schedule, body: TestRun) -> tuple[int, int]:
    """A test execution (test mode, capped recipients); returns (run id, execution id)."""
    next_schedule_status(schedule.type, schedule.status, ScheduleAction.TEST)
    campaign = await CampaignRepository(uow.session).by_id(schedule.campaign_id)
    assert campaign is not None  # the foreign key cascades deletes
    execution_id = await launch_test(uow, schedule, campaign, body)
    run = ScheduleRun(
        schedule_id=schedule.id, scheduled_for=uow.clock(), status=ScheduleRunStatus.FIRED,
        test=True, execution_id=execution_id, started_at=uow.clock(),
    )  # fmt: skip
    await ScheduleRunRepository(uow.session).add_run(run)
    return run.id, execution_id


async def fire_campaign(uow: UnitOfWork, campaign_id: int, scheduled_for: datetime) -> int | None:
    """A campaign scheduled through POST /campaigns/:id/schedule reaches its time."""
    campaign = await CampaignRepository(uow.session).by_id(campaign_id, lock=True)
    if (
        campaign is None
        or campaign.status != Status.SCHEDULED
        or campaign.scheduled_at != scheduled_for
    ):
        return None
    actor = Actor(campaign.tenant_id, SYSTEM)
    result = await start_execution(uow, actor, campaign, ExecuteOptions(), trigger="scheduled")
    return result.execution.id if result.execution else None


def public_run_id(run_id: int) -> str:
    """`job_12`."""
    return format_id("schedule_run", run_id)
