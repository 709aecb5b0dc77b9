"""Firing schedules: each run is an execution of the delivery engine, recorded once."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from core.campaign_actions import start_execution, unschedule_campaign
from core.context import Actor
from core.errors import DomainError
from core.executions import RunPlan, launch
from core.ids import format_id
from core.models import ExecuteOptions
from core.scheduling.audience import schedule_spec
from core.scheduling.inputs import MessageConfig, TestRun
from core.scheduling.lifecycle import next_status
from core.scheduling.parsing import parse_schedule
from core.scheduling.recurrence import next_occurrence, occurrences
from core.scheduling.service import target_of
from core.templates import resolve_templates, to_message
from core.uow import UnitOfWork
from storage.models import Campaign
from storage.models_scheduling import Schedule, ScheduleRun
from storage.repositories.schedules import ScheduleRepository

log = logging.getLogger(__name__)
SYSTEM = "system:scheduler"
MAX_MISSED_RECORDED = 100


async def run_messages(uow: UnitOfWork, schedule: Schedule) -> list[dict[str, Any]] | None:
    """The content of a run: the schedule's templates, or None for the campaign's messages."""
    if not schedule.message_config:
        return None
    config = MessageConfig.model_validate(schedule.message_config)
    if not config.template_id:
        return None
    refs = [("messageConfig.templateId", config.template_id)]
    refs += [(f"variations[{i}]", v.template_id) for i, v in enumerate(config.variations)]
    templates = await resolve_templates(uow, schedule.tenant_id, refs)
    message = to_message(templates[config.template_id])
    if config.variations:
        message["variations"] = [
            {
                **to_message(templates[v.template_id]),
                "id": v.name or f"var{i + 1}",
                "weight": v.weight,
            }
            for i, v in enumerate(config.variations)
        ]
    return [message]


def run_settings(schedule: Schedule) -> dict[str, Any] | None:
    """Delivery settings the engine applies to each run (rate cap, quiet hours)."""
    settings = schedule.delivery_settings or {}
    keep = {k: settings[k] for k in ("rateLimiting", "quietHours") if settings.get(k)}
    return keep or None


async def _launch(
    uow: UnitOfWork, schedule: Schedule, campaign: Campaign, *, test: TestRun | None = None
) -> int:
    actor = Actor(schedule.tenant_id, SYSTEM)
    target = test.target_audience if test and test.target_audience else target_of(schedule)
    spec = await schedule_spec(uow, schedule.tenant_id, target, campaign.target_audience)
    priority = (schedule.delivery_settings or {}).get("priority", "normal")
    plan = RunPlan(
        spec=spec,
        trigger="test" if test else "schedule",
        messages=await run_messages(uow, schedule),
        test_mode=test is not None,
        priority=priority,
        limit=test.max_recipients if test else None,
        settings=run_settings(schedule),
        schedule_id=schedule.id,
    )
    execution = await launch(uow, actor, campaign, plan)
    return execution.id


def _advance(schedule: Schedule, fired_for: datetime, now: datetime) -> None:
    """Plan the run after `fired_for` (never in the past), or complete the schedule."""
    parsed = parse_schedule(schedule.type, schedule.schedule, now, check_past=False)
    upcoming = None
    if parsed.rule is not None:
        upcoming = next_occurrence(parsed.rule, max(now, fired_for))
    limit = parsed.max_occurrences
    if upcoming is None or (limit is not None and schedule.run_count >= limit):
        schedule.status = next_status(schedule.type, schedule.status, "complete")
        schedule.next_run_at = None
    else:
        schedule.next_run_at = upcoming


async def fire(uow: UnitOfWork, schedule_id: int, scheduled_for: datetime) -> int | None:
    """Run a schedule for its planned time; returns the execution id (None if not due/fired)."""
    repo = ScheduleRepository(uow.session)
    schedule = await repo.get(None, schedule_id, lock=True)
    if schedule is None or schedule.status not in ("scheduled", "active"):
        return None
    if schedule.next_run_at != scheduled_for:
        return None  # a stale timer: the schedule changed since it was set
    now = uow.clock()
    run = ScheduleRun(
        schedule_id=schedule.id, scheduled_for=scheduled_for, status="fired", started_at=now
    )
    if not await repo.add_run(run):
        return None
    campaign = await uow.session.get(Campaign, schedule.campaign_id)
    execution_id = None
    if campaign is None or campaign.status == "cancelled":
        run.status, run.detail = "skipped", "the campaign is cancelled"
    else:
        try:
            execution_id = await _launch(uow, schedule, campaign)
            run.execution_id = execution_id
        except DomainError as exc:
            run.status, run.detail = "failed", exc.message
    schedule.last_run_at = scheduled_for
    schedule.run_count += 1
    _advance(schedule, scheduled_for, now)
    schedule.updated_at = now
    return execution_id


async def catch_up(uow: UnitOfWork, schedule_id: int, grace: timedelta) -> datetime | None:
    """After downtime: record missed runs, fire the last one if within grace; next run time."""
    repo = ScheduleRepository(uow.session)
    schedule = await repo.get(None, schedule_id, lock=True)
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
    for moment in due[:-1] if now - last <= grace else due:
        await repo.add_run(
            ScheduleRun(schedule_id=schedule.id, scheduled_for=moment, status="missed",
                        detail="the service was down at this time")
        )  # fmt: skip
    if now - last <= grace:
        schedule.next_run_at = last
        await uow.flush()
        await fire(uow, schedule.id, last)
        return schedule.next_run_at
    schedule.last_run_at = last
    if schedule.type == "one-time":
        schedule.status, schedule.next_run_at = "failed", None
    else:
        _advance(schedule, last, now)
    schedule.updated_at = now
    return schedule.next_run_at


async def test_run(uow: UnitOfWork, schedule: Schedule, body: TestRun) -> tuple[int, int]:
    """A test execution (test mode, capped recipients); returns (run id, execution id)."""
    next_status(schedule.type, schedule.status, "test")
    campaign = await uow.session.get(Campaign, schedule.campaign_id)
    assert campaign is not None  # the foreign key cascades deletes
    execution_id = await _launch(uow, schedule, campaign, test=body)
    run = ScheduleRun(
        schedule_id=schedule.id, scheduled_for=uow.clock(), status="fired", test=True,
        execution_id=execution_id, started_at=uow.clock(),
    )  # fmt: skip
    await ScheduleRepository(uow.session).add_run(run)
    return run.id, execution_id


async def fire_campaign(uow: UnitOfWork, campaign_id: int, scheduled_for: datetime) -> int | None:
    """A campaign scheduled through POST /campaigns/:id/schedule reaches its time."""
    campaign = await uow.session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is None or campaign.status != "scheduled" or campaign.scheduled_at != scheduled_for:
        return None
    actor = Actor(campaign.tenant_id, SYSTEM)
    result = await start_execution(uow, actor, campaign, ExecuteOptions(), trigger="scheduled")
    return result.execution.id if result.execution else None


async def miss_campaign(uow: UnitOfWork, campaign_id: int) -> None:
    """A campaign's time passed beyond the grace period while down: back to draft, noted."""
    campaign = await uow.session.get(Campaign, campaign_id, with_for_update=True)
    if campaign is not None and campaign.status == "scheduled":
        log.warning("campaign %s missed its time while the service was down", campaign_id)
        await unschedule_campaign(uow, Actor(campaign.tenant_id, SYSTEM), campaign)


def public_run_id(run_id: int) -> str:
    """`job_12`."""
    return format_id("schedule_run", run_id)
