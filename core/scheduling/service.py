"""Scheduled campaigns: create, change, pause, resume, delete, read."""

from __future__ import annotations

from typing import Any

from core.campaigns import get_campaign
from core.context import Actor
from core.errors import ConflictError, Failures, NotFoundError, ValidationFailed
from core.events import DomainEvent
from core.ids import format_id, parse_id
from core.lifecycle import WAITING_BY_KIND, ScheduleStatus, next_schedule_status
from core.scheduling.audience import schedule_spec
from core.scheduling.inputs import ScheduleCreate, ScheduleUpdate, TargetSpec
from core.scheduling.parsing import ParsedSchedule, parse_schedule
from core.templates import resolve_templates
from core.uow import UnitOfWork
from storage.models import Campaign
from storage.models_scheduling import Schedule
from storage.repositories.schedules import ScheduleRepository

SUPPORTED_CHANNELS = {"telegram"}
CHANGED = "schedule.changed"


def _dump(model: Any) -> Any:
    return (
        None if model is None else model.model_dump(mode="json", by_alias=True, exclude_none=True)
    )


def changed(uow: UnitOfWork, schedule: Schedule, actor: Actor) -> None:
    """Tell the timer (after commit) that a schedule's timing may have changed."""
    uow.emit(
        DomainEvent(
            name=CHANGED,
            tenant_id=schedule.tenant_id,
            campaign_id=schedule.campaign_id,
            actor=actor.label,
            data={"scheduleId": schedule.id},
        )
    )


async def get_schedule(
    uow: UnitOfWork, actor: Actor, public_id: str, *, lock: bool = False
) -> Schedule:
    """The tenant's schedule or SCHEDULED_CAMPAIGN_NOT_FOUND."""
    schedule = await ScheduleRepository(uow.session).get(
        actor.tenant_id, parse_id("schedule", public_id), lock=lock
    )
    if schedule is None:
        raise NotFoundError("SCHEDULED_CAMPAIGN_NOT_FOUND", f"No scheduled campaign '{public_id}'.")
    return schedule


def _check_notifications(body: ScheduleCreate | ScheduleUpdate) -> None:
    on_complete = body.notifications.on_complete if body.notifications else None
    if on_complete is None:
        return
    unsupported = sorted(set(on_complete.channels) - SUPPORTED_CHANNELS)
    if unsupported:
        raise ValidationFailed(
            f"Notification channels {unsupported} are not available; admins are told in the bot.",
            details=[{"field": "notifications.onComplete.channels", "message": "only 'telegram'"}],
            code="UNSUPPORTED_CHANNEL",
        )


async def _validate_parts(
    uow: UnitOfWork,
    actor: Actor,
    body: ScheduleCreate | ScheduleUpdate,
    campaign: Campaign | None,
    failures: Failures,
) -> None:
    """Check audience, templates and notifications into `failures`."""
    # Without a targetAudience the campaign's own is used: nothing to check if it is unknown.
    if body.target_audience is not None or campaign is not None:
        with failures.check():
            await schedule_spec(
                uow,
                actor.tenant_id,
                body.target_audience,
                campaign.target_audience if campaign is not None else None,
            )
    config = body.message_config
    if config is not None:
        refs = [("messageConfig.templateId", config.template_id)] if config.template_id else []
        refs += [
            (f"messageConfig.variations[{i}].templateId", v.template_id)
            for i, v in enumerate(config.variations)
        ]
        with failures.check():
            await resolve_templates(uow, actor.tenant_id, refs)
    # Variation weights and quietHours.timezone are checked by the input models.
    with failures.check():
        _check_notifications(body)


async def _plan_next(uow: UnitOfWork, schedule: Schedule, parsed: ParsedSchedule) -> None:
    schedule.next_run_at = parsed.first_run(uow.clock())
    if schedule.next_run_at is not None and await ScheduleRepository(uow.session).same_time(
        schedule.campaign_id, schedule.next_run_at, schedule.id
    ):
        raise ConflictError(
            "SCHEDULE_CONFLICT",
            f"Campaign {format_id('campaign', schedule.campaign_id)} is already scheduled at "
            f"{schedule.next_run_at.isoformat()} (field schedule).",
        )


async def _campaign_named(uow: UnitOfWork, actor: Actor, public_id: str) -> Campaign:
    try:
        return await get_campaign(uow, actor, public_id)
    except NotFoundError:
        # A missing resource named in the body is a 400 naming the field (see README).
        message = f"No campaign '{public_id}'."
        raise ValidationFailed(
            message, details=[{"field": "campaignId", "message": message}],
            code="CAMPAIGN_NOT_FOUND",
        ) from None  # fmt: skip


async def create_schedule(
    uow: UnitOfWork, actor: Actor, body: ScheduleCreate, failures: Failures | None = None
) -> Schedule:
    """Validate and store a schedule; the timer learns of it after commit. `failures` (the
    request's field errors; `body` then holds only the valid fields) join every problem
    found here in one 400."""
    failures = Failures() if failures is None else failures
    given = body.model_fields_set
    campaign: Campaign | None = None
    if "campaign_id" in given:
        with failures.check():
            campaign = await _campaign_named(uow, actor, body.campaign_id)
    parsed: ParsedSchedule | None = None
    if "type" in given and "schedule" in given:
        with failures.check():
            parsed = parse_schedule(body.type, body.schedule, uow.clock())
    await _validate_parts(uow, actor, body, campaign, failures)
    failures.raise_all()
    assert campaign is not None and parsed is not None  # raise_all raised otherwise
    schedule = Schedule(
        tenant_id=actor.tenant_id,
        campaign_id=campaign.id,
        name=body.campaign_name or campaign.name,
        type=body.type,
        status=WAITING_BY_KIND[body.type],
        schedule=body.schedule,
        target_audience=_dump(body.target_audience),
        message_config=_dump(body.message_config),
        delivery_settings=_dump(body.delivery_settings),
        notifications=_dump(body.notifications),
        run_count=0,
        created_by=actor.label,
        created_at=uow.clock(),
        updated_at=uow.clock(),
    )
    await ScheduleRepository(uow.session).add(schedule)
    await _plan_next(uow, schedule, parsed)
    changed(uow, schedule, actor)
    return schedule


async def update_schedule(
    uow: UnitOfWork,
    actor: Actor,
    schedule: Schedule,
    body: ScheduleUpdate,
    failures: Failures | None = None,
) -> Schedule:
    """Replace the given parts; a new schedule block recomputes the next run. Every problem
    (with the given `failures`) is reported together before anything changes."""
    failures = Failures() if failures is None else failures
    # A malformed request is a 400 whatever the status; the lifecycle is asked only then.
    status = (
        None if failures.found else next_schedule_status(schedule.type, schedule.status, "edit")
    )
    campaign = await get_campaign(uow, actor, format_id("campaign", schedule.campaign_id))
    merged = parsed = None
    if body.schedule is not None:
        merged = _merge(schedule.schedule, body.schedule)
        with failures.check():
            parsed = parse_schedule(schedule.type, merged, uow.clock())
    await _validate_parts(uow, actor, body, campaign, failures)
    failures.raise_all()
    assert status is not None  # raise_all raised otherwise
    given = body.model_fields_set
    if "campaign_name" in given and body.campaign_name:
        schedule.name = body.campaign_name
    for name in ("target_audience", "message_config", "delivery_settings", "notifications"):
        if name in given:
            setattr(schedule, name, _dump(getattr(body, name)))
    if merged is not None and parsed is not None:
        schedule.schedule = merged
        if schedule.status != ScheduleStatus.PAUSED:
            schedule.status = status
            await _plan_next(uow, schedule, parsed)
    schedule.updated_at = uow.clock()
    changed(uow, schedule, actor)
    return schedule


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A partial `recurring` block keeps the fields it leaves out (e.g. the timezone)."""
    merged = {**old, **new}
    if isinstance(old.get("recurring"), dict) and isinstance(new.get("recurring"), dict):
        merged["recurring"] = {**old["recurring"], **new["recurring"]}
    return merged


async def pause_schedule(uow: UnitOfWork, actor: Actor, schedule: Schedule) -> Schedule:
    """Stop firing until resumed."""
    schedule.status = next_schedule_status(schedule.type, schedule.status, "pause")
    schedule.paused_at = uow.clock()
    schedule.updated_at = uow.clock()
    changed(uow, schedule, actor)
    return schedule


async def resume_schedule(uow: UnitOfWork, actor: Actor, schedule: Schedule) -> Schedule:
    """Fire again from the next occurrence after now (runs during the pause are not replayed)."""
    status = next_schedule_status(schedule.type, schedule.status, "resume")
    parsed = parse_schedule(schedule.type, schedule.schedule, uow.clock())
    schedule.status = status
    schedule.paused_at = None
    schedule.updated_at = uow.clock()
    await _plan_next(uow, schedule, parsed)
    changed(uow, schedule, actor)
    return schedule


async def delete_schedule(uow: UnitOfWork, actor: Actor, schedule: Schedule) -> None:
    """Remove a schedule; executions it started keep their ledger."""
    schedule.status = ScheduleStatus.DELETED
    changed(uow, schedule, actor)
    await ScheduleRepository(uow.session).delete(schedule)


def target_of(schedule: Schedule) -> TargetSpec | None:
    """The stored targetAudience as the input model."""
    return TargetSpec.model_validate(schedule.target_audience) if schedule.target_audience else None


async def list_schedules(
    uow: UnitOfWork, actor: Actor, *, status: str | None, type_: str | None, skip: int, limit: int
) -> tuple[list[Schedule], int]:
    """A slice of the tenant's schedules and the total."""
    return await ScheduleRepository(uow.session).list(
        actor.tenant_id, status=status, type_=type_, skip=skip, limit=limit
    )
