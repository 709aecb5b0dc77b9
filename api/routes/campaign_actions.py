"""Campaign lifecycle, progress and statistics routes."""

from __future__ import annotations

from aiohttp import web

from api.campaign_schemas import (
    ActionOut,
    ErrorCount,
    ExecuteResult,
    InteractionOut,
    InteractionsMeta,
    InteractionsQuery,
    ProgressCounts,
    ProgressOut,
    StatisticsQuery,
)
from api.envelope import ok
from api.keys import CORE, actor_of, uow_of
from api.parsing import parse_body
from api.query import parse_query
from api.registry import ApiRouter
from api.schemas import Envelope
from api.statistics_schemas import StatisticsOut, statistics_out
from core import campaign_commands as actions
from core import campaigns as service
from core import statistics
from core.ids import format_id
from core.interactions import list_interactions
from core.lifecycle import Action
from core.models import ExecuteOptions, ScheduleRequest

router = ApiRouter(tag="Campaign lifecycle")
BASE = "/api/v1/campaigns/{id}"


@router.route(
    "POST",
    BASE + "/execute",
    summary="Execute now (or schedule with a future scheduledAt)",
    body=ExecuteOptions,
    body_optional=True,
    response=Envelope[ExecuteResult],
    errors=(400, 401, 404, 409),
)
async def execute(request: web.Request) -> web.Response:
    """Start an execution: the audience is snapshotted into the delivery ledger."""
    options = await parse_body(request, ExecuteOptions, optional=True)
    uow, actor, core = uow_of(request), actor_of(request), request.app[CORE]
    campaign = await service.get_campaign(uow, actor, request.match_info["id"], lock=True)
    result = await actions.perform(
        uow, actor, campaign, Action.EXECUTE, options, admin_ids=core.admin_ids
    )
    execution = result.execution
    if execution is None:
        return ok(
            ExecuteResult(
                execution_id=None,
                id=format_id("campaign", campaign.id),
                status="scheduled",
                campaign_status=campaign.status,
                scheduled_at=campaign.scheduled_at,
                target_count=result.audience or 0,  # a schedule always reports its size
                message="Campaign scheduled",
            )
        )
    progress = await statistics.campaign_progress(uow, campaign, core.send_rate)
    return ok(
        ExecuteResult(
            execution_id=format_id("execution", execution.id),
            id=format_id("campaign", campaign.id),
            status="started",
            campaign_status=campaign.status,
            started_at=execution.started_at,
            target_count=execution.total,
            estimated_completion=progress.estimated_completion or execution.started_at,
            message="Test execution started"
            if execution.test_mode
            else "Campaign execution started",
        )
    )


@router.route(
    "POST",
    BASE + "/schedule",
    summary="Schedule a one-time send",
    body=ScheduleRequest,
    response=Envelope[ActionOut],
    errors=(400, 401, 404, 409),
)
async def schedule(request: web.Request) -> web.Response:
    """Schedule at a future time (the past is refused with PAST_DATE)."""
    body = await parse_body(request, ScheduleRequest)
    uow, actor = uow_of(request), actor_of(request)
    campaign = await service.get_campaign(uow, actor, request.match_info["id"], lock=True)
    result = await actions.perform(uow, actor, campaign, Action.SCHEDULE, body)
    return ok(
        ActionOut(
            id=format_id("campaign", campaign.id),
            status=campaign.status,
            message="Campaign scheduled successfully",
            scheduled_at=campaign.scheduled_at,
            target_count=result.audience,
        )
    )


@router.route(
    "POST",
    BASE + "/pause",
    summary="Pause an active campaign",
    response=Envelope[ActionOut],
    errors=(401, 404, 409),
)
async def pause(request: web.Request) -> web.Response:
    """Stop new sends at once."""
    uow, actor = uow_of(request), actor_of(request)
    campaign = await service.get_campaign(uow, actor, request.match_info["id"], lock=True)
    result = await actions.perform(uow, actor, campaign, Action.PAUSE)
    return ok(
        ActionOut(
            id=format_id("campaign", campaign.id),
            status=campaign.status,
            message="Campaign paused successfully",
            paused_at=result.at,
            sent_count=campaign.sent_count,
        )
    )


@router.route(
    "POST",
    BASE + "/resume",
    summary="Resume a paused campaign",
    response=Envelope[ActionOut],
    errors=(401, 404, 409),
)
async def resume(request: web.Request) -> web.Response:
    """Continue sending from the ledger."""
    uow, actor = uow_of(request), actor_of(request)
    campaign = await service.get_campaign(uow, actor, request.match_info["id"], lock=True)
    result = await actions.perform(uow, actor, campaign, Action.RESUME)
    return ok(
        ActionOut(
            id=format_id("campaign", campaign.id),
            status=campaign.status,
            message="Campaign resumed successfully",
            resumed_at=result.at,
        )
    )


@router.route(
    "POST",
    BASE + "/cancel",
    summary="Cancel a scheduled, active or paused campaign",
    response=Envelope[ActionOut],
    errors=(401, 404, 409),
)
async def cancel(request: web.Request) -> web.Response:
    """Cancel: pending deliveries are skipped."""
    uow, actor = uow_of(request), actor_of(request)
    campaign = await service.get_campaign(uow, actor, request.match_info["id"], lock=True)
    result = await actions.perform(uow, actor, campaign, Action.CANCEL)
    return ok(
        ActionOut(
            id=format_id("campaign", campaign.id),
            status=campaign.status,
            message="Campaign cancelled successfully",
            cancelled_at=result.at,
            sent_count=campaign.sent_count,
        )
    )


@router.route(
    "GET",
    BASE + "/progress",
    summary="Live progress of the newest execution",
    response=Envelope[ProgressOut],
    errors=(401, 404),
)
async def progress(request: web.Request) -> web.Response:
    """Counts, rate, ETA and grouped errors from the ledger."""
    uow, actor, core = uow_of(request), actor_of(request), request.app[CORE]
    campaign = await service.get_campaign(uow, actor, request.match_info["id"])
    p = await statistics.campaign_progress(uow, campaign, core.send_rate)
    counts = p.counts
    return ok(
        ProgressOut(
            status=p.status,
            execution_id=format_id("execution", p.execution_id) if p.execution_id else None,
            progress=ProgressCounts(
                percentage=p.percentage,
                processed=p.processed,
                total=p.total,
                successful=counts.get("sent", 0),
                failed=counts.get("failed", 0),
                unknown=counts.get("unknown", 0),
                skipped=counts.get("skipped", 0),
                pending=counts.get("pending", 0) + counts.get("sending", 0),
            ),
            current_rate=round(p.current_rate, 2),
            estimated_completion=p.estimated_completion,
            errors=[ErrorCount.model_validate(e, from_attributes=True) for e in p.errors],
            pause_reason=p.pause_reason,
        )
    )


@router.route(
    "GET",
    BASE + "/statistics",
    summary="Statistics for a period",
    query=StatisticsQuery,
    response=Envelope[StatisticsOut],
    errors=(400, 401, 404),
)
async def campaign_statistics(request: web.Request) -> web.Response:
    """Overview, rates, timeline, segments and variations; `read` is always null."""
    query = parse_query(request, StatisticsQuery)
    period = statistics.parse_period(query.period)
    metrics = statistics.parse_metrics(query.metrics)
    uow, actor = uow_of(request), actor_of(request)
    campaign = await service.get_campaign(uow, actor, request.match_info["id"])
    figures = await statistics.campaign_statistics(uow, campaign, period, metrics)
    return ok(statistics_out(figures))


@router.route(
    "GET",
    BASE + "/interactions",
    summary="Tracked interactions (clicks, conversions...)",
    query=InteractionsQuery,
    response=Envelope[list[InteractionOut]],
    errors=(400, 401, 404),
)
async def interactions(request: web.Request) -> web.Response:
    """A page of interactions with tenant-campaigns-api.md paging (skip / take)."""
    query = parse_query(request, InteractionsQuery)
    uow, actor = uow_of(request), actor_of(request)
    campaign = await service.get_campaign(uow, actor, request.match_info["id"])
    page = await list_interactions(uow, campaign, query.type, query.skip, query.take)
    items = [InteractionOut.model_validate(item, from_attributes=True) for item in page.items]
    meta = InteractionsMeta(total=page.total, skip=query.skip, take=query.take)
    return ok(items, meta=meta.model_dump(by_alias=True))
