"""The tenant Campaigns API's routes (paths as in tenant-campaigns-api.md): parse, call, render."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel

from api.campaign_schemas import InteractionOut, InteractionsMeta, InteractionsQuery
from api.envelope import json_response
from api.keys import CORE, actor_of, uow_of
from api.parsing import parse_body
from api.query import parse_query
from api.registry import ApiRouter
from api.tenant.dialect import NestError
from api.tenant.schemas import (
    TenantActionOut,
    TenantCampaignList,
    TenantCampaignOut,
    TenantInteractions,
    TenantStatsOut,
    action_out,
    campaign_out,
    stats_out,
    summary_out,
)
from core import tenant_campaigns as service
from core.campaigns import get_campaign
from core.interactions import list_interactions
from core.lifecycle import Action
from core.models import ScheduleRequest
from core.tenant_inputs import (
    TenantCampaignCreate,
    TenantCampaignPatch,
    TenantListQuery,
    TenantScheduleIn,
)
from core.tenant_stats import stats
from storage.models import Campaign

router = ApiRouter(tag="Tenant campaigns", error_model=NestError, enveloped=False)
BASE = "/campaigns"
ONE = BASE + "/{id}"


def _bare(model: BaseModel, status: int = 200) -> web.Response:
    return json_response(model.model_dump(mode="json", by_alias=True), status)


async def _campaign(request: web.Request, *, lock: bool = False) -> Campaign:
    return await get_campaign(
        uow_of(request), actor_of(request), request.match_info["id"], lock=lock
    )


@router.route(
    "GET", BASE, summary="List campaigns", query=TenantListQuery,
    response=TenantCampaignList, errors=(400, 401, 403),
)  # fmt: skip
async def list_campaigns(request: web.Request) -> web.Response:
    """The tenant's campaigns, newest first, by club, status and type."""
    query = parse_query(request, TenantListQuery)
    page = await service.list_page(uow_of(request), actor_of(request), query)
    meta = InteractionsMeta(total=page.total, skip=query.skip, take=query.take)
    return _bare(TenantCampaignList(data=[summary_out(c) for c in page.items], meta=meta))


@router.route(
    "GET", ONE, summary="Get a campaign", response=TenantCampaignOut, errors=(401, 404),
)  # fmt: skip
async def get_one(request: web.Request) -> web.Response:
    """One campaign, with its schedule or trigger when it has one."""
    shown = await service.view(uow_of(request), await _campaign(request))
    return _bare(campaign_out(shown))


@router.route(
    "POST", BASE, summary="Create a campaign", body=TenantCampaignCreate,
    response=TenantCampaignOut, status=201, errors=(400, 401, 403, 413),
)  # fmt: skip
async def create(request: web.Request) -> web.Response:
    """A draft ONE_TIME (scheduled when `scheduledAt` is given), RECURRING or TRIGGERED one."""
    body = await parse_body(request, TenantCampaignCreate)
    uow = uow_of(request)
    created = await service.create(uow, actor_of(request), body)
    return _bare(campaign_out(await service.view(uow, created.campaign)), 201)


@router.route(
    "PATCH", ONE, summary="Update a campaign", body=TenantCampaignPatch,
    response=TenantCampaignOut, errors=(400, 401, 404, 409, 413),
)  # fmt: skip
async def patch(request: web.Request) -> web.Response:
    """Name, description, club, timezone; segment and content of drafts only."""
    body = await parse_body(request, TenantCampaignPatch)
    campaign = await _campaign(request, lock=True)
    shown = await service.patch(uow_of(request), actor_of(request), campaign, body)
    return _bare(campaign_out(shown))


async def _move(
    request: web.Request, action: Action, at: ScheduleRequest | None = None
) -> web.Response:
    campaign = await _campaign(request, lock=True)
    result = await service.act(
        uow_of(request), actor_of(request), campaign, action, at,
        admin_ids=request.app[CORE].admin_ids,
    )  # fmt: skip
    return _bare(action_out(action.value, result))


@router.route(
    "POST", ONE + "/schedule", summary="Schedule a draft", body=TenantScheduleIn,
    response=TenantActionOut, errors=(400, 401, 404, 409, 413),
)  # fmt: skip
async def schedule(request: web.Request) -> web.Response:
    """DRAFT -> SCHEDULED at `scheduledAt`."""
    body = await parse_body(request, TenantScheduleIn)
    at = ScheduleRequest(scheduled_at=body.scheduled_at, timezone=body.timezone)
    return await _move(request, Action.SCHEDULE, at)


def _simple(action: Action, summary: str) -> None:
    async def handler(request: web.Request) -> web.Response:
        return await _move(request, action)

    handler.__doc__ = summary
    handler.__name__ = f"{action.value}_campaign"
    router.route(
        "POST", f"{ONE}/{action.value}", summary=summary, response=TenantActionOut,
        errors=(401, 404, 409),
    )(handler)  # fmt: skip


_simple(Action.EXECUTE, "Send a draft now (DRAFT -> ACTIVE)")
_simple(Action.PAUSE, "Pause an active campaign")
_simple(Action.RESUME, "Resume a paused campaign")
_simple(Action.CANCEL, "Cancel a scheduled, active or paused campaign")


@router.route(
    "GET", ONE + "/stats", summary="Campaign statistics", response=TenantStatsOut,
    errors=(401, 404),
)  # fmt: skip
async def campaign_stats(request: web.Request) -> web.Response:
    """Counts and rates (fractions); opens are null: Telegram gives bots no read receipts."""
    return _bare(stats_out(await stats(uow_of(request), await _campaign(request))))


@router.route(
    "GET", ONE + "/interactions", summary="Campaign interactions", query=InteractionsQuery,
    response=TenantInteractions, errors=(400, 401, 404),
)  # fmt: skip
async def interactions(request: web.Request) -> web.Response:
    """Sent, delivered, bounced (from the ledger), clicked and converted, newest first."""
    query = parse_query(request, InteractionsQuery)
    campaign = await _campaign(request)
    page = await list_interactions(uow_of(request), campaign, query.type, query.skip, query.take)
    items = [InteractionOut.model_validate(item, from_attributes=True) for item in page.items]
    meta = InteractionsMeta(total=page.total, skip=query.skip, take=query.take)
    return _bare(TenantInteractions(data=items, meta=meta))
