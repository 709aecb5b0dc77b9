"""Segment routes: CRUD and live counts."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from api.envelope import ok
from api.keys import actor_of, uow_of
from api.parsing import parse_body
from api.query import parse_query
from api.registry import ApiRouter
from api.schemas import Envelope, MessageText, Out, PageQuery, Pagination, UtcTime, pagination
from core import segments as service
from core.ids import format_id
from core.segments import SegmentInput
from storage.models import Segment

router = ApiRouter(tag="Audience")
BASE = "/api/v1/segments"


class SegmentOut(Out):
    """A segment as the API shows it."""

    id: str
    name: str
    description: str | None
    type: str
    rules: dict[str, Any] | None
    created_at: UtcTime
    updated_at: UtcTime


class SegmentList(Out):
    """data of GET /segments."""

    segments: list[SegmentOut]
    pagination: Pagination


class SegmentCount(Out):
    """data of GET /segments/:id/count."""

    segment_id: str
    count: int


def segment_out(segment: Segment) -> SegmentOut:
    """Render one segment."""
    return SegmentOut(
        id=format_id("segment", segment.id),
        name=segment.name,
        description=segment.description,
        type=segment.kind,
        rules=segment.rules,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


@router.route(
    "POST",
    BASE,
    summary="Create a segment (rules: dynamic, members: static)",
    body=SegmentInput,
    response=Envelope[SegmentOut],
    status=201,
    errors=(400, 401, 413),
)
async def create_segment(request: web.Request) -> web.Response:
    """Create a segment."""
    data = await parse_body(request, SegmentInput)
    segment = await service.save_segment(uow_of(request), actor_of(request), data)
    return ok(segment_out(segment), status=201)


@router.route(
    "GET",
    BASE,
    summary="List segments",
    query=PageQuery,
    response=Envelope[SegmentList],
    errors=(400, 401),
)
async def list_segments(request: web.Request) -> web.Response:
    """Paged segments."""
    query = parse_query(request, PageQuery)
    page = await service.list_segments(
        uow_of(request), actor_of(request), page=query.page, limit=query.limit
    )
    data = SegmentList(
        segments=[segment_out(s) for s in page.items],
        pagination=pagination(query.page, query.limit, page.total),
    )
    return ok(data)


@router.route(
    "GET",
    BASE + "/{id}",
    summary="Get a segment",
    response=Envelope[SegmentOut],
    errors=(401, 404),
)
async def get_segment(request: web.Request) -> web.Response:
    """One segment."""
    segment = await service.get_segment(
        uow_of(request), actor_of(request), request.match_info["id"]
    )
    return ok(segment_out(segment))


@router.route(
    "PUT",
    BASE + "/{id}",
    summary="Replace a segment's definition",
    body=SegmentInput,
    response=Envelope[SegmentOut],
    errors=(400, 401, 404),
)
async def update_segment(request: web.Request) -> web.Response:
    """Replace name, rules or members."""
    data = await parse_body(request, SegmentInput)
    uow, actor = uow_of(request), actor_of(request)
    segment = await service.get_segment(uow, actor, request.match_info["id"])
    segment = await service.save_segment(uow, actor, data, segment)
    return ok(segment_out(segment))


@router.route(
    "DELETE",
    BASE + "/{id}",
    summary="Delete a segment",
    response=Envelope[MessageText],
    errors=(401, 404),
)
async def delete_segment(request: web.Request) -> web.Response:
    """Delete one segment."""
    await service.delete_segment(uow_of(request), actor_of(request), request.match_info["id"])
    return ok(MessageText(message="Segment deleted successfully"))


@router.route(
    "GET",
    BASE + "/{id}/count",
    summary="Active subscribers in a segment now",
    response=Envelope[SegmentCount],
    errors=(401, 404),
)
async def count_segment(request: web.Request) -> web.Response:
    """Count computed by the database."""
    uow = uow_of(request)
    segment = await service.get_segment(uow, actor_of(request), request.match_info["id"])
    count = await service.segment_size(uow, segment)
    return ok(SegmentCount(segment_id=format_id("segment", segment.id), count=count))
