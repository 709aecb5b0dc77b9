"""The tenant Campaigns API's rules over the one core: its kinds, its transition table, figures.

A RECURRING or TRIGGERED campaign is a campaign with a standing schedule (recurring or
trigger-based) made through core.scheduling; ONE_TIME is one without. Every change goes
through the services the other faces use; only what that API promises differently lives here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.campaign_actions import ActionResult
from core.campaign_commands import perform, update
from core.campaigns import create_campaign
from core.context import Actor
from core.errors import ConflictError, Failures, ForbiddenError, NotFoundError, ValidationFailed
from core.ids import format_id, try_parse_id
from core.lifecycle import Action, ScheduleKind, Status
from core.models import CampaignCreate, CampaignUpdate, ScheduleRequest
from core.scheduling.inputs import ScheduleCreate
from core.scheduling.service import create_schedule
from core.templates import get_template
from core.tenant_inputs import (
    ContentFields,
    RecurringIn,
    TenantCampaignCreate,
    TenantCampaignPatch,
    TenantKind,
    TenantListQuery,
    TenantStatus,
)
from core.uow import UnitOfWork
from storage.models import Campaign
from storage.models_scheduling import Schedule
from storage.repositories.paging import Page
from storage.repositories.segments import SegmentRepository
from storage.repositories.tenant_campaigns import TenantCampaignRepository

# The moves that API offers, from the statuses its table allows; anything else is a 409.
# Its prose also cancels an active campaign ("Cancels a scheduled or active campaign").
TENANT_MOVES: dict[Action, frozenset[Status]] = {
    Action.SCHEDULE: frozenset({Status.DRAFT}),
    Action.EXECUTE: frozenset({Status.DRAFT}),
    Action.PAUSE: frozenset({Status.ACTIVE}),
    Action.RESUME: frozenset({Status.PAUSED}),
    Action.CANCEL: frozenset({Status.SCHEDULED, Status.ACTIVE, Status.PAUSED}),
}
KIND_OF_SCHEDULE = {
    ScheduleKind.RECURRING: TenantKind.RECURRING,
    ScheduleKind.TRIGGER_BASED: TenantKind.TRIGGERED,
}
SCHEDULE_OF_KIND = {kind: schedule for schedule, kind in KIND_OF_SCHEDULE.items()}
DRAFT_ONLY = "Only DRAFT campaigns can have their segment or templates changed."


def tenant_ref(tenant_id: int) -> str:
    """A tenant's public id in that API: `tenant_7`."""
    return f"tenant_{tenant_id}"


def require_own_tenant(actor: Actor, ref: str) -> None:
    """Refuse any tenant id but the key's own, alike whether or not that tenant exists."""
    if ref != tenant_ref(actor.tenant_id):
        own = tenant_ref(actor.tenant_id)  # the caller's own id: telling it reveals nothing
        raise ForbiddenError("TENANT_FORBIDDEN", f"This API key belongs to {own}, not to {ref}.")


def attempted(campaign: Campaign) -> int:
    """That API's sentCount: messages with an outcome, delivered or failed."""
    return campaign.sent_count + campaign.failed_count


# Core field names -> the ones this API's requests use, for the fields it maps.
OUR_FIELDS = {"targetAudience": "segmentId", "messages": "content"}


def _in_our_words(failed: ValidationFailed) -> ValidationFailed:
    """The same problems, named by this API's fields."""
    details = []
    for detail in failed.details:
        field = str(detail.get("field", ""))
        head = field.split(".", 1)[0].split("[", 1)[0]
        details.append({**detail, "field": OUR_FIELDS.get(head, field)} if field else detail)
    return ValidationFailed(failed.message, details=details, code=failed.code)


def to_status(status: TenantStatus) -> Status:
    """The core status of that API's spelling."""
    return Status(status.value.lower())


@dataclass(frozen=True)
class TenantCampaign:
    """A campaign as that API shows it: the row, how it is sent, its standing schedule."""

    campaign: Campaign
    kind: TenantKind
    schedule: Schedule | None
    segment_name: str | None = None


async def _content(uow: UnitOfWork, actor: Actor, body: ContentFields) -> dict[str, Any]:
    """CampaignFields values for the segment and content a request gives."""
    values: dict[str, Any] = {}
    given = body.model_fields_set
    if "segment_id" in given:
        values["target_audience"] = {"segments": [body.segment_id]} if body.segment_id else None
    if "template_id" in given and body.template_id:
        try:
            template = await get_template(uow, actor, body.template_id)
        except NotFoundError as missing:
            raise ValidationFailed(
                missing.message,
                details=[{"field": "templateId", "message": missing.message}],
                code=missing.code,
            ) from None
        values["messages"] = [{"templateId": format_id("template", template.id)}]
    if "content" in given and body.content:
        values["messages"] = [{"content": body.content}]
    return values


def _recurring_block(schedule: RecurringIn, timezone: str | None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "pattern": schedule.frequency,
        "timeOfDay": schedule.time,
        "timezone": schedule.timezone or timezone or "UTC",
    }
    if schedule.day_of_week is not None:
        block["daysOfWeek"] = [schedule.day_of_week]
    if schedule.day_of_month is not None:
        block["daysOfMonth"] = [schedule.day_of_month]
    return {"recurring": block}


def _trigger_block(event: str, conditions: dict[str, Any] | None) -> dict[str, Any]:
    return {"triggers": [{"conditions": {**(conditions or {}), "event": event}}]}


async def create(uow: UnitOfWork, actor: Actor, body: TenantCampaignCreate) -> TenantCampaign:
    """POST /campaigns: a draft, plus its standing schedule or its one-time time."""
    require_own_tenant(actor, body.tenant_id)
    failures = Failures()
    values: dict[str, Any] = {}
    with failures.check():
        values = await _content(uow, actor, body)
    data = CampaignCreate.model_validate(
        {
            "name": body.name,
            "description": body.description,
            "timezone": body.timezone,
            **{k: v for k, v in values.items() if v is not None},
        }
    )
    try:
        campaign = await create_campaign(uow, actor, data, failures)
    except ValidationFailed as failed:
        raise _in_our_words(failed) from None
    campaign.club_id = body.club_id
    schedule = None
    if body.type in SCHEDULE_OF_KIND:
        block = (
            _recurring_block(body.schedule, body.timezone)
            if body.schedule is not None
            else _trigger_block(body.trigger_event or "", body.trigger_conditions)
        )
        spec = ScheduleCreate(
            campaign_id=format_id("campaign", campaign.id),
            type=SCHEDULE_OF_KIND[body.type],
            schedule=block,
        )
        schedule = await create_schedule(uow, actor, spec)
    elif body.scheduled_at is not None:
        await perform(
            uow, actor, campaign, Action.SCHEDULE, ScheduleRequest(scheduled_at=body.scheduled_at)
        )
    return TenantCampaign(campaign, body.type, schedule)


async def patch(
    uow: UnitOfWork, actor: Actor, campaign: Campaign, body: TenantCampaignPatch
) -> TenantCampaign:
    """PATCH /campaigns/:id; segment and content of drafts only (that API's note)."""
    values = await _content(uow, actor, body)
    if values and campaign.status != Status.DRAFT:
        raise ConflictError("NOT_A_DRAFT", DRAFT_ONLY)
    given = body.model_fields_set
    fields = {name: getattr(body, name) for name in ("name", "description", "timezone")}
    data = CampaignUpdate.model_validate(
        {**{k: v for k, v in fields.items() if k in given}, **values}
    )
    try:
        await update(uow, actor, campaign, data)
    except ValidationFailed as failed:
        raise _in_our_words(failed) from None
    if "club_id" in given:
        campaign.club_id = body.club_id
    return await view(uow, campaign)


async def act(
    uow: UnitOfWork,
    actor: Actor,
    campaign: Campaign,
    action: Action,
    at: ScheduleRequest | None = None,
    *,
    admin_ids: tuple[int, ...] = (),
) -> ActionResult:
    """One move of that API's table (a 409 naming the status otherwise), through the core."""
    if Status(campaign.status) not in TENANT_MOVES[action]:
        allowed = sorted(a.value for a, froms in TENANT_MOVES.items() if campaign.status in froms)
        raise ConflictError(
            "INVALID_STATUS_TRANSITION",
            f"Cannot {action.value} a campaign that is {campaign.status.upper()}.",
            details=[{"currentStatus": campaign.status.upper(), "allowedActions": allowed}],
        )
    return await perform(uow, actor, campaign, action, at, admin_ids=admin_ids)


async def view(uow: UnitOfWork, campaign: Campaign) -> TenantCampaign:
    """One campaign with its kind, standing schedule and segment name."""
    [shown] = await views(uow, [campaign], with_segment=True)
    return shown


async def views(
    uow: UnitOfWork, campaigns: list[Campaign], *, with_segment: bool = False
) -> list[TenantCampaign]:
    """Campaigns with their kinds (one query for them all)."""
    standing = await TenantCampaignRepository(uow.session).standing_schedules(
        c.id for c in campaigns
    )
    shown = []
    for campaign in campaigns:
        schedule = standing.get(campaign.id)
        kind = KIND_OF_SCHEDULE[ScheduleKind(schedule.type)] if schedule else TenantKind.ONE_TIME
        name = await _segment_name(uow, campaign) if with_segment else None
        shown.append(TenantCampaign(campaign, kind, schedule, name))
    return shown


async def _segment_name(uow: UnitOfWork, campaign: Campaign) -> str | None:
    refs = (campaign.target_audience or {}).get("segments") or []
    segment_id = try_parse_id("segment", str(refs[0])) if refs else None
    if segment_id is None:
        return None
    found = await SegmentRepository(uow.session).get_many(campaign.tenant_id, [segment_id])
    return found[0].name if found else None


async def list_page(uow: UnitOfWork, actor: Actor, query: TenantListQuery) -> Page[TenantCampaign]:
    """GET /campaigns: the key's tenant's campaigns, newest first."""
    require_own_tenant(actor, query.tenant_id)
    if query.type is TenantKind.JOURNEY:
        return Page([], 0)  # none can exist: JOURNEY campaigns are refused at creation
    page = await TenantCampaignRepository(uow.session).list(
        actor.tenant_id,
        club_id=query.club_id,
        status=to_status(query.status).value if query.status else None,
        schedule_kind=SCHEDULE_OF_KIND.get(query.type) if query.type else None,
        one_time=query.type is TenantKind.ONE_TIME,
        offset=query.skip,
        limit=query.take,
    )
    return Page(await views(uow, page.items), page.total)
