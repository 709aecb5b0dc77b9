"""Firing schedules: each run is an execution of the delivery engine, recorded once."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from core.audience import segment_rules
from core.campaign_actions import start_execution, unschedule_campaign
from core.context import Actor
from core.errors import DomainError
from core.executions import RunPlan, execution_row, launch, variation_cutoffs
from core.ids import format_id, try_parse_id
from core.lifecycle import (
    EXECUTION_STARTED,
    WAITING_STATUSES,
    ScheduleAction,
    ScheduleKind,
    ScheduleRunStatus,
    ScheduleStatus,
    Status,
    next_schedule_status,
)
from core.models import ExecuteOptions
from core.rules import parse_filters
from core.scheduling.audience import schedule_spec
from core.scheduling.inputs import MessageConfig, TestRun
from core.scheduling.parsing import parse_schedule
from core.scheduling.recurrence import next_occurrence, occurrences
from core.scheduling.service import target_of
from core.templates import resolve_templates, to_message
from core.uow import UnitOfWork
from storage.audience import AudienceSpec
from storage.models import Campaign
from storage.models_scheduling import Schedule, ScheduleRun
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.schedules import RunAudience, ScheduleRepository
from storage.repositories.segments import SegmentRepository

log = logging.getLogger(__name__)
SYSTEM = "system:scheduler"
MAX_MISSED_RECORDED = 100
# Campaigns whose scheduled or event-caused runs are skipped, with the detail recorded.
NOT_RUNNING: dict[str, str] = {
    Status.CANCELLED: "the campaign is cancelled",
    Status.PAUSED: "the campaign is paused",
}


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


async def _plan(
    uow: UnitOfWork,
    schedule: Schedule,
    campaign: Campaign,
    test: TestRun | None = None,
    spec: AudienceSpec | None = None,
) -> RunPlan:
    """What one run sends to whom (raises DomainError when its audience or content is bad)."""
    if spec is None:
        target = test.target_audience if test and test.target_audience else target_of(schedule)
        spec = await schedule_spec(uow, schedule.tenant_id, target, campaign.target_audience)
    priority = (schedule.delivery_settings or {}).get("priority", "normal")
    return RunPlan(
        spec=spec,
        trigger="test" if test else "schedule",
        messages=await run_messages(uow, schedule),
        test_mode=test is not None,
        priority=priority,
        limit=test.max_recipients if test else None,
        settings=run_settings(schedule),
        schedule_id=schedule.id,
    )


async def _launch(uow: UnitOfWork, schedule: Schedule, campaign: Campaign, test: TestRun) -> int:
    plan = await _plan(uow, schedule, campaign, test)
    execution = await launch(uow, Actor(schedule.tenant_id, SYSTEM), campaign, plan)
    return execution.id


async def _launch_all(
    uow: UnitOfWork, due: list[tuple[Schedule, Campaign | None]]
) -> list[dict[str, Any]]:
    """Each run's execution as core.executions.launch makes it, with one INSERT for them all.

    Returns each run row's status, detail and execution id.
    """
    outcomes: list[dict[str, Any]] = []
    plans: list[tuple[int, Campaign, RunPlan]] = []
    specs = await _segment_specs(uow, due)
    for schedule, campaign in due:
        outcomes.append({"status": ScheduleRunStatus.FIRED, "detail": None, "execution_id": None})
        skipped = NOT_RUNNING.get(campaign.status if campaign else Status.CANCELLED)
        if campaign is None or skipped is not None:
            outcomes[-1].update(status=ScheduleRunStatus.SKIPPED, detail=skipped)
            continue
        try:
            plan = await _plan(uow, schedule, campaign, spec=specs.get(schedule.id))
            plans.append((len(outcomes) - 1, campaign, plan))
        except DomainError as exc:
            outcomes[-1].update(status=ScheduleRunStatus.FAILED, detail=exc.message)
    now = uow.clock()
    repo = ScheduleRepository(uow.session)
    execution_ids = await repo.add_executions(
        [execution_row(campaign, plan, SYSTEM, now) for _, campaign, plan in plans]
    )
    audiences = []
    for index, campaign, plan in plans:
        assert plan.schedule_id is not None, "_plan sets the schedule id of a run"
        execution_id = execution_ids[plan.schedule_id]
        cutoffs = variation_cutoffs(plan.messages or campaign.messages or [])
        audiences.append(RunAudience(execution_id, plan.spec, cutoffs, campaign.id))
        outcomes[index]["execution_id"] = execution_id
    # Scheduled runs: 100 %, no recipient cap; each starts once its ledger is in.
    await repo.snapshot_runs(audiences, started=EXECUTION_STARTED)
    return outcomes


async def _segment_specs(
    uow: UnitOfWork, due: list[tuple[Schedule, Campaign | None]]
) -> dict[int, AudienceSpec]:
    """Audiences of segment-targeted runs with one segment query for them all (schedule id ->
    spec), as build_spec makes them; runs left out (bad references, other targets) resolve
    one by one, which also reports their errors."""
    wanted: dict[int, tuple[int, list[int], dict[str, Any]]] = {}
    for schedule, campaign in due:
        target = target_of(schedule)
        if campaign is None or (target is not None and target.type != "segment"):
            continue
        audience = (campaign.target_audience or {}) if target is None else {}
        refs = [target.segment_id] if target is not None else audience.get("segments") or []
        parsed = [try_parse_id("segment", str(ref)) for ref in refs]
        ids = [i for i in parsed if i is not None]
        if ids and len(ids) == len(parsed):
            wanted[schedule.id] = (schedule.tenant_id, ids, audience)
    segments = {}
    for tenant_id in {tenant for tenant, _, _ in wanted.values()}:
        needed = sorted({i for t, refs, _ in wanted.values() if t == tenant_id for i in refs})
        for segment in await SegmentRepository(uow.session).get_many(tenant_id, needed):
            segments[tenant_id, segment.id] = segment
    specs = {}
    for schedule_id, (tenant_id, ids, audience) in wanted.items():
        if any((tenant_id, i) not in segments for i in ids):
            continue
        try:
            filters = audience.get("filters")
            group = parse_filters(filters, uow.clock(), "filters") if filters else None
        except DomainError:
            continue
        found = [segments[tenant_id, i] for i in ids]
        chosen = tuple((s.id, s.kind, segment_rules(s, uow)) for s in found)
        specs[schedule_id] = AudienceSpec(tenant_id=tenant_id, segments=chosen, filters=group)
    return specs


def _advance(schedule: Schedule, fired_for: datetime, now: datetime) -> None:
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
    repo = ScheduleRepository(uow.session)
    schedules = await repo.lock_many(sorted(due))
    now = uow.clock()
    # A stale timer (the schedule changed since it was set) finds nothing to run.
    ready = [s for s in schedules if s.status in WAITING_STATUSES and s.next_run_at == due[s.id]]
    claimed = await repo.claim_runs([(s.id, due[s.id]) for s in ready], now)
    ready = [s for s in ready if s.id in claimed]
    campaigns = await repo.campaigns({s.campaign_id for s in ready})
    outcomes = await _launch_all(uow, [(s, campaigns.get(s.campaign_id)) for s in ready])
    # Schedules change only after every launch, so their UPDATEs are flushed together.
    for schedule in ready:
        schedule.last_run_at = due[schedule.id]
        schedule.run_count += 1
        _advance(schedule, due[schedule.id], now)
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
        _advance(schedule, last, now)
    schedule.updated_at = now
    return schedule.next_run_at


async def test_run(uow: UnitOfWork, schedule: Schedule, body: TestRun) -> tuple[int, int]:
    """A test execution (test mode, capped recipients); returns (run id, execution id)."""
    next_schedule_status(schedule.type, schedule.status, ScheduleAction.TEST)
    campaign = await CampaignRepository(uow.session).by_id(schedule.campaign_id)
    assert campaign is not None  # the foreign key cascades deletes
    execution_id = await _launch(uow, schedule, campaign, body)
    run = ScheduleRun(
        schedule_id=schedule.id, scheduled_for=uow.clock(), status=ScheduleRunStatus.FIRED,
        test=True, execution_id=execution_id, started_at=uow.clock(),
    )  # fmt: skip
    await ScheduleRepository(uow.session).add_run(run)
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


async def miss_campaign(uow: UnitOfWork, campaign_id: int) -> None:
    """A campaign's time passed beyond the grace period while down: back to draft, noted."""
    campaign = await CampaignRepository(uow.session).by_id(campaign_id, lock=True)
    if campaign is not None and campaign.status == Status.SCHEDULED:
        log.warning("campaign %s missed its time while the service was down", campaign_id)
        await unschedule_campaign(uow, Actor(campaign.tenant_id, SYSTEM), campaign)


def public_run_id(run_id: int) -> str:
    """`job_12`."""
    return format_id("schedule_run", run_id)
