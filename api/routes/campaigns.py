"""Campaign CRUD routes: parse, call core, render."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.campaign_schemas import (
    CampaignCreated,
    CampaignList,
    CampaignListQuery,
    CampaignOut,
    campaign_json,
    campaign_out,
    campaign_values,
)
from api.envelope import fail, ok
from api.keys import CORE, actor_of, uow_of
from api.parsing import parse_body, parse_body_collecting
from api.query import parse_query
from api.registry import ApiRouter
from api.schemas import Envelope, MessageText
from api.v2.keys import TELEGRAM_CHECK
from core import campaign_commands as actions
from core import campaigns as service
from core.chat_access import AccessCheck, ChatCheckUnavailable, access_check
from core.context import Actor
from core.errors import Failures, NotFoundError
from core.ids import format_id
from core.lifecycle import Action
from core.models import CampaignCreate, CampaignUpdate, CloneOptions
from core.uow import UnitOfWork
from storage.models import Campaign
from storage.repositories.campaign_list import CampaignRow
from storage.repositories.paging import Page

router = ApiRouter(tag="Campaigns")
BASE = "/api/v1/campaigns"


@router.route(
    "GET",
    BASE,
    summary="List campaigns",
    query=CampaignListQuery,
    response=Envelope[CampaignList],
    errors=(400, 401),
)
async def list_campaigns(request: web.Request) -> web.Response:
    """Paged, filtered, searched and sorted campaigns of the caller's tenant."""
    query = parse_query(request, CampaignListQuery)
    page = await list_page(uow_of(request), actor_of(request), query)
    return ok(list_data(query, page))


async def list_page(uow: UnitOfWork, actor: Actor, query: CampaignListQuery) -> Page[CampaignRow]:
    """The page of campaigns a list query asks for."""
    return await service.list_campaigns(
        uow,
        actor,
        status=query.status,
        type_=query.type.value if query.type else None,
        search=query.search,
        sort=query.sort,
        page=query.page,
        limit=query.limit,
    )


def list_data(query: CampaignListQuery, page: Page[CampaignRow]) -> dict[str, Any]:
    """The data of a list response: the rendered rows and the pagination."""
    # CampaignList's JSON rendered from plain values: per-row models cost more than the query.
    total, limit = page.total, query.limit
    return {
        "campaigns": [campaign_json(campaign_values(row)) for row in page.items],
        "pagination": {
            "page": query.page,
            "limit": limit,
            "total": total,
            "pages": (total + limit - 1) // limit,
        },
    }


@router.route(
    "POST",
    BASE,
    summary="Create a campaign (draft)",
    body=CampaignCreate,
    response=Envelope[CampaignCreated],
    status=201,
    errors=(400, 401, 413, 502),
)
async def create_campaign(request: web.Request) -> web.Response:
    """Create a draft campaign (an invitation's targetChat is checked with Telegram)."""
    data, failures = await parse_body_collecting(request, CampaignCreate)
    uow = uow_of(request)
    try:
        campaign = await service.create_campaign(
            uow, actor_of(request), data, failures, access=_access(request)
        )
    except ChatCheckUnavailable as exc:
        return await _unavailable(request, exc)
    created = CampaignCreated(
        id=format_id("campaign", campaign.id),
        name=campaign.name,
        status=campaign.status,
        message="Campaign created successfully",
    )
    return ok(created, status=201)


@router.route(
    "GET",
    BASE + "/{id}",
    summary="Get a campaign",
    response=Envelope[CampaignOut],
    errors=(401, 404),
)
async def get_campaign(request: web.Request) -> web.Response:
    """One campaign with its live audience size."""
    uow = uow_of(request)
    campaign = await service.get_campaign(uow, actor_of(request), request.match_info["id"])
    return ok(campaign_out(campaign, await service.audience_size(uow, campaign)))


async def _locked(request: web.Request, failures: Failures) -> Campaign:
    """The addressed campaign; a bad body is reported before an unknown id (as it was)."""
    try:
        return await service.get_campaign(
            uow_of(request), actor_of(request), request.match_info["id"], lock=True
        )
    except NotFoundError:
        failures.raise_all()
        raise


def _access(request: web.Request) -> AccessCheck:
    """The Telegram checks of campaign settings, through the process's bot (if it has one)."""
    check = request.app.get(TELEGRAM_CHECK)
    return access_check(check.bot if check is not None else None)


async def _unavailable(request: web.Request, exc: ChatCheckUnavailable) -> web.Response:
    """A 502: nothing is stored when Telegram could not be asked."""
    await uow_of(request).rollback()
    return fail(502, exc.code, exc.message, exc.details)


async def _update(request: web.Request) -> web.Response:
    data, failures = await parse_body_collecting(request, CampaignUpdate)
    uow, actor = uow_of(request), actor_of(request)
    campaign = await _locked(request, failures)
    try:
        # Telegram is asked once the fields are valid, before any status move.
        result = await actions.update(
            uow,
            actor,
            campaign,
            data,
            failures,
            admin_ids=request.app[CORE].admin_ids,
            access=_access(request),
        )
    except ChatCheckUnavailable as exc:
        return await _unavailable(request, exc)
    return ok(campaign_out(campaign, result.audience))


@router.route(
    "PUT",
    BASE + "/{id}",
    summary="Update a campaign (a status field runs that action)",
    body=CampaignUpdate,
    response=Envelope[CampaignOut],
    errors=(400, 401, 404, 409, 502),
)
async def put_campaign(request: web.Request) -> web.Response:
    """Update the given fields; audience and messages only while draft."""
    return await _update(request)


@router.route(
    "PATCH",
    BASE + "/{id}",
    summary="Partially update a campaign",
    body=CampaignUpdate,
    response=Envelope[CampaignOut],
    errors=(400, 401, 404, 409, 502),
)
async def patch_campaign(request: web.Request) -> web.Response:
    """Same rules as PUT: only a draft may change audience or messages."""
    return await _update(request)


@router.route(
    "DELETE",
    BASE + "/{id}",
    summary="Delete a draft or cancelled campaign",
    response=Envelope[MessageText],
    errors=(401, 404, 409),
)
async def delete_campaign(request: web.Request) -> web.Response:
    """Delete when the lifecycle allows it."""
    uow, actor = uow_of(request), actor_of(request)
    campaign = await service.get_campaign(uow, actor, request.match_info["id"], lock=True)
    await actions.perform(uow, actor, campaign, Action.DELETE)
    return ok(MessageText(message="Campaign deleted successfully"))


@router.route(
    "POST",
    BASE + "/{id}/clone",
    summary="Clone a campaign into a new draft",
    body=CloneOptions,
    body_optional=True,
    response=Envelope[CampaignCreated],
    status=201,
    errors=(400, 401, 404),
)
async def clone_campaign(request: web.Request) -> web.Response:
    """Copy content and audience into a new draft."""
    options = await parse_body(request, CloneOptions, optional=True)
    uow, actor = uow_of(request), actor_of(request)
    source = await service.get_campaign(uow, actor, request.match_info["id"])
    copy = (await actions.perform(uow, actor, source, Action.CLONE, options)).created
    assert copy is not None  # a clone always creates its copy
    created = CampaignCreated(
        id=format_id("campaign", copy.id),
        name=copy.name,
        status=copy.status,
        message="Campaign cloned successfully",
    )
    return ok(created, status=201)
