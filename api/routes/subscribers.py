"""Subscriber routes: bulk upsert, list, get, delete."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from api.envelope import ok
from api.keys import actor_of, uow_of
from api.parsing import read_body
from api.query import parse_query
from api.registry import ApiRouter
from api.schemas import Envelope, MessageText, Out, PageQuery, Pagination, UtcTime, pagination
from core import subscribers as service
from core.errors import ValidationFailed
from core.ids import format_id
from core.subscribers import SubscriberBatch, SubscriberInput, SubscriberStatus
from core.validation import Line, Lowercase
from storage.models import Subscriber

router = ApiRouter(tag="Audience")
BASE = "/api/v1/subscribers"
IMPORT_LIMIT = 16 * 1024 * 1024


class SubscriberOut(Out):
    """A subscriber as the API shows it."""

    id: str
    telegram_id: int
    chat_id: int
    first_name: str | None
    last_name: str | None
    username: str | None
    language_code: str | None
    tags: list[str]
    attributes: dict[str, Any]
    timezone: str | None
    status: str
    source: str | None
    created_at: UtcTime
    updated_at: UtcTime


class SubscriberList(Out):
    """data of GET /subscribers."""

    subscribers: list[SubscriberOut]
    pagination: Pagination


class ImportOut(Out):
    """data of a bulk import."""

    created: int
    updated: int
    total: int
    ids: list[str]


class SubscriberQuery(PageQuery):
    """Query of GET /subscribers."""

    status: Lowercase[SubscriberStatus] | None = None
    tag: Line | None = Field(default=None, max_length=64)
    search: Line | None = Field(default=None, max_length=200)


def subscriber_out(row: Subscriber, tags: list[str]) -> SubscriberOut:
    """Render one subscriber."""
    return SubscriberOut(
        id=format_id("subscriber", row.id),
        telegram_id=row.telegram_id,
        chat_id=row.chat_id,
        first_name=row.first_name,
        last_name=row.last_name,
        username=row.username,
        language_code=row.language_code,
        tags=tags,
        attributes=row.attributes or {},
        timezone=row.timezone,
        status=row.status,
        source=row.source,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@router.route(
    "POST",
    BASE,
    summary="Create or update subscribers (one, or {subscribers: [...]} up to 10,000)",
    body=SubscriberBatch,
    response=Envelope[ImportOut],
    status=200,
    also=(201,),
    errors=(400, 401, 413),
)
async def upsert(request: web.Request) -> web.Response:
    """Upsert by telegramId in one transaction (bodies up to 16 MiB here)."""
    body = await read_body(request, limit=IMPORT_LIMIT)
    if body is None:
        raise ValidationFailed(
            "A JSON body is required.", details=[{"field": "body", "message": "is required"}]
        )
    uow, actor = uow_of(request), actor_of(request)
    if "subscribers" in body.data:
        batch = body.validate(SubscriberBatch)
        result = await service.upsert_subscribers(uow, actor, batch.subscribers)
        data = ImportOut(
            created=result.created,
            updated=result.updated,
            total=len(result.ids),
            ids=[format_id("subscriber", i) for i in result.ids],
        )
        return ok(data)
    one = body.validate(SubscriberInput)
    result = await service.upsert_subscribers(uow, actor, [one])
    row = await service.get_subscriber(uow, actor, format_id("subscriber", result.ids[0]))
    tags = (await service.tags_of(uow, [row.id])).get(row.id, [])
    return ok(subscriber_out(row, tags), status=201 if result.created else 200)


@router.route(
    "GET",
    BASE,
    summary="List subscribers",
    query=SubscriberQuery,
    response=Envelope[SubscriberList],
    errors=(400, 401),
)
async def list_subscribers(request: web.Request) -> web.Response:
    """Paged subscribers filtered by status, tag and search."""
    query = parse_query(request, SubscriberQuery)
    uow = uow_of(request)
    page = await service.list_subscribers(
        uow,
        actor_of(request),
        status=query.status.value if query.status else None,
        tag=query.tag,
        search=query.search,
        page=query.page,
        limit=query.limit,
    )
    tags = await service.tags_of(uow, [row.id for row in page.items])
    data = SubscriberList(
        subscribers=[subscriber_out(row, tags.get(row.id, [])) for row in page.items],
        pagination=pagination(query.page, query.limit, page.total),
    )
    return ok(data)


@router.route(
    "GET",
    BASE + "/{id}",
    summary="Get a subscriber",
    response=Envelope[SubscriberOut],
    errors=(401, 404),
)
async def get_subscriber(request: web.Request) -> web.Response:
    """One subscriber."""
    uow = uow_of(request)
    row = await service.get_subscriber(uow, actor_of(request), request.match_info["id"])
    tags = (await service.tags_of(uow, [row.id])).get(row.id, [])
    return ok(subscriber_out(row, tags))


@router.route(
    "DELETE",
    BASE + "/{id}",
    summary="Delete a subscriber",
    response=Envelope[MessageText],
    errors=(401, 404),
)
async def delete_subscriber(request: web.Request) -> web.Response:
    """Delete one subscriber."""
    await service.delete_subscriber(uow_of(request), actor_of(request), request.match_info["id"])
    return ok(MessageText(message="Subscriber deleted successfully"))
