"""Launching schedule runs: what each run sends to whom, and one INSERT for a batch of them."""

from __future__ import annotations

from typing import Any

from core.audience import segment_rules
from core.context import Actor
from core.errors import DomainError
from core.executions import RunPlan, execution_row, launch, variation_cutoffs
from core.ids import try_parse_id
from core.lifecycle import EXECUTION_STARTED, ScheduleRunStatus, Status
from core.rules import parse_filters
from core.scheduling.audience import schedule_spec
from core.scheduling.inputs import MessageConfig, TestRun
from core.scheduling.service import target_of
from core.templates import resolve_templates, to_message
from core.uow import UnitOfWork
from storage.audience import AudienceSpec
from storage.models import Campaign
from storage.models_scheduling import Schedule
from storage.repositories.schedule_runs import RunAudience, ScheduleRunRepository
from storage.repositories.segments import SegmentRepository

SYSTEM = "system:scheduler"
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


async def launch_test(
    uow: UnitOfWork, schedule: Schedule, campaign: Campaign, test: TestRun
) -> int:
    """Launch a test run's execution; returns its id."""
    plan = await _plan(uow, schedule, campaign, test)
    execution = await launch(uow, Actor(schedule.tenant_id, SYSTEM), campaign, plan)
    return execution.id


async def launch_all(
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
    repo = ScheduleRunRepository(uow.session)
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
