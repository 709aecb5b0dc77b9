"""Campaign CRUD; cloning is core.campaign_clone, lifecycle actions core.campaign_actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.audience import build_spec, count_audience
from core.campaign_types.settings import settings_for
from core.chat_access import AccessCheck
from core.context import Actor
from core.errors import Failures, NotFoundError, ValidationFailed
from core.events import DomainEvent
from core.ids import parse_id
from core.lifecycle import Action, Status, transition
from core.models import CampaignCreate, CampaignUpdate
from core.uow import UnitOfWork
from storage.models import Campaign, CampaignEvent
from storage.repositories.campaign_list import CampaignRow
from storage.repositories.campaigns import SORTABLE, CampaignRepository
from storage.repositories.paging import Page

# Only a draft may change these (a new type also replaces the settings).
CONTENT_FIELDS = ("type", "messages", "target_audience", "settings")


def _dump(model: Any) -> Any:
    return (
        None if model is None else model.model_dump(mode="json", by_alias=True, exclude_none=True)
    )


def _with_ids(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give every message and variation a stable id (`msg1`, `msg1-var1`) when it has none."""
    for index, message in enumerate(messages, start=1):
        message.setdefault("id", f"msg{index}")
        for v_index, variation in enumerate(message.get("variations", []), start=1):
            variation.setdefault("id", f"{message['id']}-var{v_index}")
    return messages


def _column_values(data: CampaignCreate | CampaignUpdate, fields: set[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in fields:
        value = getattr(data, name)
        if name == "messages":
            values[name] = _with_ids([_dump(m) for m in value]) if value is not None else []
        elif name in ("goals", "target_audience", "strategy", "workflow"):
            values[name] = _dump(value)
        elif name == "type":
            values[name] = value.value if value is not None else None
        else:
            values[name] = value
    return values


async def get_campaign(
    uow: UnitOfWork, actor: Actor, public_id: str, *, lock: bool = False
) -> Campaign:
    """The tenant's campaign or CAMPAIGN_NOT_FOUND (other tenants' campaigns are invisible)."""
    campaign = await CampaignRepository(uow.session).get(
        actor.tenant_id, parse_id("campaign", public_id), lock=lock
    )
    if campaign is None:
        raise NotFoundError("CAMPAIGN_NOT_FOUND", f"No campaign with id '{public_id}'.")
    return campaign


async def audience_size(uow: UnitOfWork, campaign: Campaign) -> int:
    """How many active subscribers the campaign's targetAudience reaches now."""
    spec = await build_spec(uow, campaign.tenant_id, campaign.target_audience, strict=False)
    return await count_audience(uow, spec)


async def refresh_target_count(uow: UnitOfWork, campaign: Campaign) -> int:
    """The live audience size, stored as the target count while the campaign is a draft."""
    # Once sent, target_count is the size of the audience snapshot and must not drift.
    size = await audience_size(uow, campaign)
    if campaign.status == Status.DRAFT:
        campaign.target_count = size
    return size


def check_dates(start: datetime | None, end: datetime | None) -> None:
    """endDate, when both are set, lies after startDate."""
    if start and end and end <= start:
        raise ValidationFailed(
            "endDate must be after startDate.",
            details=[
                {"field": "endDate", "message": "must be after startDate", "type": "date_order"}
            ],
        )


async def create_campaign(
    uow: UnitOfWork,
    actor: Actor,
    data: CampaignCreate,
    failures: Failures | None = None,
    *,
    access: AccessCheck | None = None,
) -> Campaign:
    """Validate and store a new draft campaign with its target count; emits campaign.created.
    `failures` (e.g. the request's field errors) are raised together with the problems found
    here; `access` (core.chat_access) then asks Telegram what the type's settings need."""
    failures = Failures() if failures is None else failures
    with failures.check():
        check_dates(data.start_date, data.end_date)
    if data.target_audience is not None:
        with failures.check():
            await build_spec(uow, actor.tenant_id, _dump(data.target_audience))
    settings = None
    with failures.check():
        settings = settings_for(data.type, data.settings)
    failures.raise_all()
    fields = set(CampaignCreate.model_fields) - {"name"}
    values = _column_values(data, fields)
    values["settings"] = settings
    if access is not None:
        await access(values["type"], settings)
    values = {k: v for k, v in values.items() if v is not None}
    campaign = Campaign(
        tenant_id=actor.tenant_id,
        name=data.name,
        status=Status.DRAFT.value,
        created_by=actor.label,
        **values,
    )
    campaign.messages = values.get("messages", [])
    await CampaignRepository(uow.session).add(campaign)
    await record(uow, campaign, actor, "campaign.created", "create", None)
    await refresh_target_count(uow, campaign)
    return campaign


async def record(
    uow: UnitOfWork,
    campaign: Campaign,
    actor: Actor,
    event: str,
    action: str,
    from_status: str | None,
    *,
    execution_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Write the audit row and queue the domain event for after commit."""
    now = uow.clock()
    await CampaignRepository(uow.session).add_event(
        CampaignEvent(
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            execution_id=execution_id,
            event=event,
            action=action,
            from_status=from_status,
            to_status=campaign.status,
            actor=actor.label,
            occurred_at=now,
            details=details,
        )
    )
    uow.emit(
        DomainEvent(
            name=event,
            tenant_id=campaign.tenant_id,
            campaign_id=campaign.id,
            actor=actor.label,
            from_status=from_status,
            to_status=campaign.status,
            execution_id=execution_id,
            occurred_at=now,
            data=details or {},
        )
    )


def _required(values: dict[str, Any], name: str, field: str) -> None:
    if name in values and values[name] is None:
        raise ValidationFailed(
            f"{field} cannot be null.", details=[{"field": field, "message": "is required"}]
        )


async def update_campaign(
    uow: UnitOfWork,
    actor: Actor,
    campaign: Campaign,
    data: CampaignUpdate,
    failures: Failures | None = None,
    *,
    access: AccessCheck | None = None,
) -> Campaign:
    """Apply the given fields; audience and messages may change only while draft. Every
    problem (with the given `failures`) is reported together before anything changes;
    `access` (core.chat_access) then checks a changed type or settings with Telegram."""
    failures = Failures() if failures is None else failures
    given = data.model_fields_set - {"status"}
    # A malformed request is a 400 whatever the status; the lifecycle is asked only then.
    if not failures.found and given & set(CONTENT_FIELDS):
        transition(campaign.status, Action.EDIT_CONTENT)
    elif not failures.found and given:
        transition(campaign.status, Action.EDIT)
    values = _column_values(data, given)
    with failures.check():
        _required(values, "name", "name")
    with failures.check():
        _required(values, "type", "type")
    if "target_audience" in values:
        with failures.check():
            await build_spec(uow, actor.tenant_id, values["target_audience"])
    with failures.check():
        check_dates(
            values.get("start_date", campaign.start_date), values.get("end_date", campaign.end_date)
        )
    if values.get("type") or "settings" in values:
        # A new type starts from no settings unless the request gives its own.
        type_ = values.get("type") or campaign.type
        kept = campaign.settings if type_ == campaign.type else None
        with failures.check():
            values["settings"] = settings_for(type_, values.get("settings", kept))
    failures.raise_all()
    if access is not None and "settings" in values:
        await access(values.get("type") or campaign.type, values["settings"])
    for name, value in values.items():
        setattr(campaign, name, value)
    campaign.updated_at = uow.clock()
    await uow.flush()
    return campaign


async def list_campaigns(
    uow: UnitOfWork,
    actor: Actor,
    *,
    status: str | None,
    type_: str | None,
    search: str | None,
    sort: str,
    page: int,
    limit: int,
) -> Page[CampaignRow]:
    """A page of the tenant's campaigns (plain rows) and the exact total; `sort` is a field
    name, `-` prefix for descending."""
    field = sort.lstrip("-")
    if field not in SORTABLE:
        raise ValidationFailed(
            f"Cannot sort by '{field}'.",
            details=[
                {"field": "sort", "message": f"one of {', '.join(SORTABLE)} (- for descending)"}
            ],
        )
    return await CampaignRepository(uow.session).list(
        actor.tenant_id,
        status=status,
        type_=type_,
        search=search,
        sort_field=field,
        descending=sort.startswith("-"),
        offset=(page - 1) * limit,
        limit=limit,
    )


async def delete_campaign(uow: UnitOfWork, actor: Actor, campaign: Campaign) -> None:
    """Delete a draft or cancelled campaign."""
    transition(campaign.status, Action.DELETE)
    await CampaignRepository(uow.session).delete(campaign)
