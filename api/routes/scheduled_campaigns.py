"""Scheduled Campaigns API (scheduled-campaigns-api.md): thin routes over core.scheduling."""

from __future__ import annotations

from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from api.envelope import ok
from api.keys import actor_of, uow_of
from api.parsing import parse_body, parse_body_collecting
from api.query import parse_query
from api.registry import ApiRouter
from api.schedule_schemas import (
    PeriodStatisticsOut,
    ScheduledCampaignOut,
    ScheduleHistoryOut,
    history_out,
    schedule_out,
    statistics_out,
)
from api.schemas import Envelope, PageNumber, SkipQuery
from api.wire import wire
from core.errors import NotFoundError
from core.scheduling import runs, service, views
from core.scheduling.inputs import ScheduleCreate, ScheduleType, ScheduleUpdate, TestRun
from core.validation import Lowercase, QueryInt

ScheduleStatus = Literal[
    "draft", "scheduled", "active", "paused", "completed", "cancelled", "failed"
]

router = ApiRouter(tag="Scheduled campaigns")
# The spec's code for a bad zone name (other bad fields stay VALIDATION_ERROR).
SPEC_CODES = {"invalid_timezone": "INVALID_TIMEZONE"}


def ok_wire(data: Any, status: int = 200, **extra: Any) -> web.Response:
    """The envelope with datetimes in the API's format."""
    return ok(wire(data), status=status, **extra)


BASE = "/api/v1/scheduled-campaigns"


class ListQuery(SkipQuery):
    """Query of GET /scheduled-campaigns: skip / limit as the spec says; `page` (the other
    lists' paging) is accepted too and validated the same way."""

    status: Lowercase[ScheduleStatus] | None = None
    type: Lowercase[ScheduleType] | None = None
    limit: QueryInt = Field(default=100, ge=1, le=100)
    page: PageNumber | None = None

    def offset(self) -> int:
        """Rows to skip: `page` when given, else `skip`."""
        return (self.page - 1) * self.limit if self.page is not None else self.skip


class HistoryQuery(BaseModel):
    """Query of GET /history."""

    model_config = ConfigDict(extra="ignore")
    limit: QueryInt = Field(default=50, ge=1, le=500)


class Generic(BaseModel):
    """An object (see the spec for its fields)."""

    model_config = ConfigDict(extra="allow")


@router.route(
    "GET", BASE, summary="List scheduled campaigns", query=ListQuery,
    response=Envelope[list[ScheduledCampaignOut]], errors=(400, 401),
)  # fmt: skip
async def list_schedules(request: web.Request) -> web.Response:
    """status / type filters, limit ≤ 100, skip; `meta` carries the total."""
    query = parse_query(request, ListQuery)
    uow = uow_of(request)
    skip = query.offset()
    rows, total = await service.list_schedules(
        uow, actor_of(request), status=query.status, type_=query.type, skip=skip,
        limit=query.limit,
    )  # fmt: skip
    data = [schedule_out(view) for view in await views.view_many(uow, rows)]
    return ok(data, meta={"total": total, "skip": skip, "limit": query.limit})


@router.route(
    "POST", BASE, summary="Create a scheduled campaign", body=ScheduleCreate,
    response=Envelope[ScheduledCampaignOut], status=201, errors=(400, 401, 404, 409),
)  # fmt: skip
async def create_schedule(request: web.Request) -> web.Response:
    """One-time, recurring or trigger-based."""
    body, failures = await parse_body_collecting(request, ScheduleCreate, codes=SPEC_CODES)
    schedule = await service.create_schedule(uow_of(request), actor_of(request), body, failures)
    return ok(schedule_out(views.view(schedule, None)), status=201)


@router.route(
    "GET", "/api/v1/scheduled-campaigns/statistics/{period}",
    summary="Aggregates over all scheduled campaigns (1h, 24h, 7d, 30d, 90d, 1y)",
    response=Envelope[PeriodStatisticsOut], errors=(400, 401),
)  # fmt: skip
async def schedule_statistics(request: web.Request) -> web.Response:
    """Runs, messages and delivery rate over the period."""
    figures = await views.statistics(
        uow_of(request), actor_of(request), request.match_info["period"]
    )
    return ok(statistics_out(figures))


@router.route(
    "GET", BASE + "/{id}", summary="Get a scheduled campaign",
    response=Envelope[ScheduledCampaignOut], errors=(401, 404),
)  # fmt: skip
async def get_schedule(request: web.Request) -> web.Response:
    """One scheduled campaign with its figures."""
    uow = uow_of(request)
    schedule = await service.get_schedule(uow, actor_of(request), request.match_info["id"])
    return ok(schedule_out((await views.view_many(uow, [schedule]))[0]))


@router.route(
    "PUT", BASE + "/{id}", summary="Update a scheduled campaign", body=ScheduleUpdate,
    response=Envelope[ScheduledCampaignOut], errors=(400, 401, 404, 409),
)  # fmt: skip
async def update_schedule(request: web.Request) -> web.Response:
    """Given parts replace the stored ones; a partial recurring block is merged."""
    body, failures = await parse_body_collecting(request, ScheduleUpdate, codes=SPEC_CODES)
    uow, actor = uow_of(request), actor_of(request)
    try:
        schedule = await service.get_schedule(uow, actor, request.match_info["id"], lock=True)
    except NotFoundError:
        failures.raise_all()  # a bad body is reported before an unknown id, as for campaigns
        raise
    await service.update_schedule(uow, actor, schedule, body, failures)
    return ok(schedule_out((await views.view_many(uow, [schedule]))[0]))


@router.route(
    "DELETE", BASE + "/{id}", summary="Delete a scheduled campaign",
    response=Envelope[Generic], errors=(401, 404),
)  # fmt: skip
async def delete_schedule(request: web.Request) -> web.Response:
    """Remove it; past executions keep their ledger."""
    uow, actor = uow_of(request), actor_of(request)
    schedule = await service.get_schedule(uow, actor, request.match_info["id"], lock=True)
    await service.delete_schedule(uow, actor, schedule)
    return ok_wire({"success": True})


@router.route(
    "POST", BASE + "/{id}/pause", summary="Pause", response=Envelope[Generic],
    errors=(401, 404, 409),
)  # fmt: skip
async def pause(request: web.Request) -> web.Response:
    """Stop firing until resumed."""
    uow, actor = uow_of(request), actor_of(request)
    schedule = await service.get_schedule(uow, actor, request.match_info["id"], lock=True)
    await service.pause_schedule(uow, actor, schedule)
    return ok_wire(
        {"_id": request.match_info["id"], "status": schedule.status, "pausedAt": schedule.paused_at}
    )


@router.route(
    "POST", BASE + "/{id}/resume", summary="Resume", response=Envelope[Generic],
    errors=(400, 401, 404, 409),
)  # fmt: skip
async def resume(request: web.Request) -> web.Response:
    """Fire again from the next occurrence after now."""
    uow, actor = uow_of(request), actor_of(request)
    schedule = await service.get_schedule(uow, actor, request.match_info["id"], lock=True)
    await service.resume_schedule(uow, actor, schedule)
    return ok_wire(
        {"_id": request.match_info["id"], "status": schedule.status,
         "execution": {"nextRunAt": schedule.next_run_at}}
    )  # fmt: skip


@router.route(
    "POST", BASE + "/{id}/test", summary="Run a test execution (test mode, capped recipients)",
    body=TestRun, body_optional=True, response=Envelope[Generic], errors=(400, 401, 404, 409),
)  # fmt: skip
async def test(request: web.Request) -> web.Response:
    """A test send to the given users (or the admins' audience), at most maxRecipients."""
    body = await parse_body(request, TestRun, optional=True, codes=SPEC_CODES)
    uow, actor = uow_of(request), actor_of(request)
    schedule = await service.get_schedule(uow, actor, request.match_info["id"])
    run_id, execution_id = await runs.test_run(uow, schedule, body)
    return ok_wire(
        {"testJobId": runs.public_run_id(run_id), "queueJobId": f"exec_{execution_id}",
         "message": "Test job created and queued"}
    )  # fmt: skip


@router.route(
    "GET", BASE + "/{id}/history", summary="Executions and jobs of a scheduled campaign",
    query=HistoryQuery, response=Envelope[ScheduleHistoryOut], errors=(400, 401, 404),
)  # fmt: skip
async def history(request: web.Request) -> web.Response:
    """Newest first, including missed and skipped runs."""
    query = parse_query(request, HistoryQuery)
    uow = uow_of(request)
    schedule = await service.get_schedule(uow, actor_of(request), request.match_info["id"])
    return ok(history_out(await views.history(uow, schedule, query.limit)))
