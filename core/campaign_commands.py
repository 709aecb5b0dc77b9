"""What people do to a campaign, dispatched in one place for the REST API and the bot."""

from __future__ import annotations

from dataclasses import replace

from core.campaign_actions import (
    ActionResult,
    cancel_campaign,
    execute_campaign,
    pause_campaign,
    resume_campaign,
    schedule_campaign,
    unschedule_campaign,
)
from core.campaign_clone import clone_campaign
from core.campaigns import delete_campaign, refresh_target_count, update_campaign
from core.chat_access import AccessCheck
from core.context import Actor
from core.errors import ConflictError, Failures, ValidationFailed
from core.lifecycle import Action, Status, action_for_target
from core.models import CampaignUpdate, CloneOptions, ExecuteOptions, ScheduleRequest
from core.uow import UnitOfWork
from storage.models import Campaign

# What an action may take: execute and test-send options, a time to schedule at, clone options.
ActionInput = ExecuteOptions | ScheduleRequest | CloneOptions | None


async def perform(
    uow: UnitOfWork,
    actor: Actor,
    campaign: Campaign,
    action: Action,
    options: ActionInput = None,
    *,
    admin_ids: tuple[int, ...] = (),
) -> ActionResult:
    """Do one user action on the campaign: the one dispatch the API and the bot share."""
    if action in (Action.EXECUTE, Action.TEST_SEND):
        run = options if isinstance(options, ExecuteOptions) else ExecuteOptions()
        if action is Action.TEST_SEND:
            run = run.model_copy(update={"test_mode": True})
        return await execute_campaign(uow, actor, campaign, run, admin_ids=admin_ids)
    if action is Action.SCHEDULE:
        if not isinstance(options, ScheduleRequest):
            # Allowed from this status, just not without a time: a 409 like any other move
            # the campaign cannot make this way.
            raise ConflictError(
                "SCHEDULE_NEEDS_TIME",
                "Scheduling needs a time: use POST /campaigns/:id/schedule.",
                details=[{"field": "status", "message": "use the schedule endpoint"}],
            )
        return await schedule_campaign(uow, actor, campaign, options.scheduled_at, options.timezone)
    if action is Action.CLONE:
        clone = options if isinstance(options, CloneOptions) else CloneOptions()
        copy = await clone_campaign(uow, actor, campaign, clone)
        return ActionResult(campaign, None, at=uow.clock(), created=copy)
    if action is Action.DELETE:
        await delete_campaign(uow, actor, campaign)
        return ActionResult(campaign, None, at=uow.clock())
    handler = STEPS.get(action)
    if handler is None:
        raise ValueError(f"'{action.value}' is not an action people perform")
    return await handler(uow, actor, campaign)


STEPS = {
    Action.PAUSE: pause_campaign,
    Action.RESUME: resume_campaign,
    Action.CANCEL: cancel_campaign,
    Action.UNSCHEDULE: unschedule_campaign,
}


async def move_to_status(
    uow: UnitOfWork,
    actor: Actor,
    campaign: Campaign,
    target: str,
    *,
    admin_ids: tuple[int, ...] = (),
) -> ActionResult | None:
    """PUT with `status`: perform the one user action that reaches it (or 409)."""
    try:
        wanted = Status(target.lower())
    except ValueError:
        raise ValidationFailed(
            f"'{target}' is not a status.",
            details=[
                {"field": "status", "message": f"one of {', '.join(s.value for s in Status)}"}
            ],
        ) from None
    if wanted.value == campaign.status:
        return None
    action = Action(action_for_target(campaign.status, wanted.value))
    return await perform(uow, actor, campaign, action, admin_ids=admin_ids)


async def update(
    uow: UnitOfWork,
    actor: Actor,
    campaign: Campaign,
    data: CampaignUpdate,
    failures: Failures | None = None,
    *,
    admin_ids: tuple[int, ...] = (),
    access: AccessCheck | None = None,
) -> ActionResult:
    """PUT / PATCH: apply the fields (a changed type or settings checked with Telegram by
    `access`), then move to the given `status`; reports the live audience size (stored as
    the target count if the campaign ends up a draft)."""
    await update_campaign(uow, actor, campaign, data, failures, access=access)
    moved = None
    if data.status is not None:
        moved = await move_to_status(uow, actor, campaign, data.status, admin_ids=admin_ids)
    size = await refresh_target_count(uow, campaign)
    if moved is None:
        return ActionResult(campaign, None, at=uow.clock(), audience=size)
    return replace(moved, audience=size)
