"""Lifecycle actions on campaigns: every one goes through the transition table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.audience import build_spec, count_audience
from core.budget import require_room
from core.campaign_types.registry import policy_for
from core.campaign_types.settings import settings_for
from core.campaigns import (
    record,
)
from core.context import Actor
from core.errors import ConflictError, ValidationFailed
from core.executions import RunPlan, launch
from core.ids import try_parse_id
from core.lifecycle import Action, ExecutionStatus, PauseReason, Transition, transition
from core.models import CampaignType, ExecuteOptions
from core.uow import UnitOfWork
from storage.audience import AudienceSpec
from storage.models import Campaign, Execution
from storage.repositories.deliveries import DeliveryRepository
from storage.repositories.executions import ExecutionRepository
from storage.repositories.subscribers import SubscriberRepository

# A moment just past is "now": clocks of client and server are never exactly equal.
PAST_TOLERANCE = timedelta(seconds=60)


@dataclass(frozen=True)
class ActionResult:
    """The campaign after an action, with what it created (an execution, a copy) if anything.

    `audience` is the live audience size when the action reports one (schedule, update).
    """

    campaign: Campaign
    transition: Transition | None
    execution: Execution | None = None
    at: datetime | None = None
    created: Campaign | None = None
    audience: int | None = None


async def apply(
    uow: UnitOfWork,
    campaign: Campaign,
    actor: Actor,
    action: Action,
    *,
    execution_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> Transition:
    """Move the campaign along the table, audit it and queue its domain event."""
    step = transition(campaign.status, action)
    campaign.status = step.to_status.value
    campaign.updated_at = uow.clock()
    if step.event:
        await record(
            uow,
            campaign,
            actor,
            step.event,
            step.action.value,
            step.from_status.value,
            execution_id=execution_id,
            details=details,
        )
    return step


def _require_content(campaign: Campaign) -> None:
    # The stored campaign is at fault, not the request: a 409, fixed by editing the campaign.
    policy = policy_for(campaign.type)
    if not policy.has_content(campaign.messages or [], campaign.settings or {}):
        raise ConflictError(
            "CAMPAIGN_HAS_NO_CONTENT",
            "The campaign has nothing to send.",
            details=[{"field": "messages", "message": "add at least one message with content"}],
        )


def _require_runnable(campaign: Campaign, now: datetime) -> None:
    """The stored settings still valid for the type (a row may predate its checks), and an
    invitation's endDate (its links' expiry) not passed: else a 409."""
    try:
        settings_for(campaign.type, campaign.settings)
    except ValidationFailed as exc:
        raise ConflictError(
            "CAMPAIGN_SETTINGS_INVALID",
            f"The campaign's stored settings are not valid: {exc.message} Fix them first.",
            details=exc.details,
        ) from None
    ended = campaign.end_date is not None and campaign.end_date <= now
    if campaign.type == CampaignType.INVITATION and ended:
        raise ConflictError(
            "CAMPAIGN_ENDED",
            "The campaign's endDate has passed: its invite links would expire at once.",
            details=[{"field": "endDate", "message": "set a later endDate (or none)"}],
        )


async def _test_spec(
    uow: UnitOfWork, actor: Actor, refs: list[str], admins: tuple[int, ...]
) -> AudienceSpec:
    ids: set[int] = set()
    telegram_ids: set[int] = set(admins)
    for index, ref in enumerate(refs):
        sub_id = try_parse_id("subscriber", ref)
        if sub_id is not None:
            ids.add(sub_id)
        elif ref.isdigit():
            telegram_ids.add(int(ref))
        else:
            raise ValidationFailed(
                "Test recipients are subscriber ids or Telegram user ids.",
                details=[{"field": f"testRecipients[{index}]", "message": f"'{ref}' is neither"}],
            )
    repo = SubscriberRepository(uow.session)
    ids |= await repo.ids_for_telegram_ids(actor.tenant_id, sorted(telegram_ids))
    if not ids:
        raise ValidationFailed(
            "Test mode has nobody to send to.",
            details=[
                {"field": "testRecipients", "message": "name subscribers or configure ADMIN_IDS"}
            ],
        )
    return AudienceSpec(tenant_id=actor.tenant_id, subscriber_ids=tuple(sorted(ids)))


async def start_execution(
    uow: UnitOfWork,
    actor: Actor,
    campaign: Campaign,
    options: ExecuteOptions,
    *,
    admin_ids: tuple[int, ...] = (),
    trigger: str = "manual",
) -> ActionResult:
    """Snapshot the audience into a new execution; test mode leaves the status alone."""
    _require_content(campaign)
    now = uow.clock()
    _require_runnable(campaign, now)
    if options.test_mode:
        transition(campaign.status, Action.TEST_SEND)
        spec = await _test_spec(uow, actor, options.test_recipients, admin_ids)
    else:
        transition(campaign.status, Action.START if trigger == "scheduled" else Action.EXECUTE)
        await require_room(uow, campaign)
        spec = await build_spec(uow, campaign.tenant_id, campaign.target_audience)
    plan = RunPlan(
        spec=spec,
        trigger="test" if options.test_mode else trigger,
        test_mode=options.test_mode,
        priority=options.priority,
        percentage=options.target_percentage,
    )
    execution = await launch(uow, actor, campaign, plan)
    step = None
    if not options.test_mode:
        campaign.target_count = execution.total
        campaign.executions_total += 1
        step = await apply(
            uow,
            campaign,
            actor,
            Action.START if trigger == "scheduled" else Action.EXECUTE,
            execution_id=execution.id,
            details={"total": execution.total, "trigger": trigger},
        )
    await uow.flush()
    return ActionResult(campaign, step, execution, now)


async def execute_campaign(
    uow: UnitOfWork,
    actor: Actor,
    campaign: Campaign,
    options: ExecuteOptions,
    *,
    admin_ids: tuple[int, ...] = (),
) -> ActionResult:
    """Execute now, or schedule when `scheduledAt` lies in the future."""
    now = uow.clock()
    if options.scheduled_at is not None and not options.test_mode:
        if options.scheduled_at > now + PAST_TOLERANCE:
            return await schedule_campaign(uow, actor, campaign, options.scheduled_at)
        if options.scheduled_at < now - PAST_TOLERANCE:
            raise _past("scheduledAt")
    return await start_execution(uow, actor, campaign, options, admin_ids=admin_ids)


def _past(field: str) -> ValidationFailed:
    return ValidationFailed(
        "The time lies in the past.",
        details=[{"field": field, "message": "must be in the future"}],
        code="PAST_DATE",
    )


async def schedule_campaign(
    uow: UnitOfWork, actor: Actor, campaign: Campaign, at: datetime, timezone: str | None = None
) -> ActionResult:
    """Schedule a one-time send at `at` (UTC inside); the past is refused."""
    if at <= uow.clock():
        raise _past("scheduledAt")
    _require_content(campaign)
    audience = await count_audience(
        uow, await build_spec(uow, campaign.tenant_id, campaign.target_audience)
    )
    campaign.scheduled_at = at
    if timezone:
        campaign.timezone = timezone
    step = await apply(
        uow, campaign, actor, Action.SCHEDULE, details={"scheduledAt": at.isoformat()}
    )
    return ActionResult(campaign, step, at=uow.clock(), audience=audience)


async def pause_campaign(
    uow: UnitOfWork, actor: Actor, campaign: Campaign, reason: PauseReason | None = None
) -> ActionResult:
    """Stop new sends at once; in-flight sends finish. The system says why (`reason`, kept as
    the campaign's pause reason and in the event's data); a person's pause has none."""
    campaign.pause_reason = reason.value if reason else None
    details = {"reason": reason.value} if reason else None
    step = await apply(uow, campaign, actor, Action.PAUSE, details=details)
    executions = ExecutionRepository(uow.session)
    found = await executions.open_for_campaign(campaign.id, lock=True)
    open_ids = [e.id for e in found if not e.test_mode]
    await executions.set_status(open_ids, ExecutionStatus.PAUSED)
    return ActionResult(campaign, step, at=uow.clock())


async def resume_campaign(uow: UnitOfWork, actor: Actor, campaign: Campaign) -> ActionResult:
    """Continue from the ledger where the pause left off; 409 BUDGET_EXHAUSTED while the
    budget cannot pay for the next paid message of what is left."""
    transition(campaign.status, Action.RESUME)
    await require_room(uow, campaign, paused=True)
    step = await apply(uow, campaign, actor, Action.RESUME)
    campaign.pause_reason = None
    executions = ExecutionRepository(uow.session)
    found = await executions.open_for_campaign(campaign.id, lock=True)
    paused = [e.id for e in found if e.status == ExecutionStatus.PAUSED]
    await executions.set_status(paused, ExecutionStatus.RUNNING)
    return ActionResult(campaign, step, at=uow.clock())


async def cancel_campaign(uow: UnitOfWork, actor: Actor, campaign: Campaign) -> ActionResult:
    """Cancel: open executions stop and their pending deliveries become skipped.

    Rows a sender holds right now are settled by its write-back, which waits for this
    transaction (the executions are locked here) and then skips whatever it hands back.
    """
    now = uow.clock()
    step = await apply(uow, campaign, actor, Action.CANCEL)
    campaign.pause_reason = None
    executions = ExecutionRepository(uow.session)
    open_ids = [e.id for e in await executions.open_for_campaign(campaign.id, lock=True)]
    skipped = await DeliveryRepository(uow.session).skip_pending(open_ids, "CANCELLED")
    for execution_id, count in skipped.items():
        await executions.add_skipped(execution_id, count)
    await executions.set_status(open_ids, ExecutionStatus.CANCELLED, finished_at=now)
    return ActionResult(campaign, step, at=now)


async def unschedule_campaign(uow: UnitOfWork, actor: Actor, campaign: Campaign) -> ActionResult:
    """Take a scheduled campaign back to draft."""
    step = await apply(uow, campaign, actor, Action.UNSCHEDULE)
    campaign.scheduled_at = None
    return ActionResult(campaign, step, at=uow.clock())
