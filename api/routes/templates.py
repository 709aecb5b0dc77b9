"""Template routes: CRUD of reusable content."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from api.envelope import ok
from api.keys import actor_of, uow_of
from api.parsing import parse_body
from api.query import parse_query
from api.registry import ApiRouter
from api.schemas import Envelope, MessageText, Out, PageQuery, Pagination, UtcTime, pagination
from core import templates as service
from core.ids import format_id
from core.templates import TemplateInput
from storage.models_scheduling import Template

router = ApiRouter(tag="Templates")
BASE = "/api/v1/templates"


class TemplateOut(Out):
    """A template."""

    id: str
    name: str
    content: str | None
    parse_mode: str | None
    media: dict[str, Any] | None
    buttons: list[Any] | None
    variables: list[str]
    call: dict[str, Any] | None = Field(default=None, alias="json")  # the v2 API's Telegram call
    created_at: UtcTime
    updated_at: UtcTime


class TemplateList(Out):
    """data of GET /templates."""

    templates: list[TemplateOut]
    pagination: Pagination


def template_out(row: Template) -> TemplateOut:
    """Render one template."""
    return TemplateOut(
        id=format_id("template", row.id), name=row.name, content=row.content,
        parse_mode=row.parse_mode, media=row.media, buttons=row.buttons,
        variables=row.variables or [], json=row.json, created_at=row.created_at,
        updated_at=row.updated_at,
    )  # fmt: skip


@router.route(
    "POST", BASE, summary="Create a template", body=TemplateInput,
    response=Envelope[TemplateOut], status=201, errors=(400, 401),
)  # fmt: skip
async def create_template(request: web.Request) -> web.Response:
    """Content is checked: every variable is built in or declared."""
    body = await parse_body(request, TemplateInput)
    row = await service.save_template(uow_of(request), actor_of(request), body)
    return ok(template_out(row), status=201)


@router.route(
    "GET", BASE, summary="List templates", query=PageQuery, response=Envelope[TemplateList],
    errors=(400, 401),
)  # fmt: skip
async def list_templates(request: web.Request) -> web.Response:
    """Paged, newest first."""
    query = parse_query(request, PageQuery)
    page = await service.list_templates(
        uow_of(request), actor_of(request), page=query.page, limit=query.limit
    )
    data = TemplateList(
        templates=[template_out(r) for r in page.items],
        pagination=pagination(query.page, query.limit, page.total),
    )
    return ok(data)


@router.route(
    "GET", BASE + "/{id}", summary="Get a template", response=Envelope[TemplateOut],
    errors=(401, 404),
)  # fmt: skip
async def get_template(request: web.Request) -> web.Response:
    """One template."""
    row = await service.get_template(uow_of(request), actor_of(request), request.match_info["id"])
    return ok(template_out(row))


@router.route(
    "PUT", BASE + "/{id}", summary="Replace a template", body=TemplateInput,
    response=Envelope[TemplateOut], errors=(400, 401, 404),
)  # fmt: skip
async def update_template(request: web.Request) -> web.Response:
    """Replace name and content."""
    body = await parse_body(request, TemplateInput)
    uow, actor = uow_of(request), actor_of(request)
    row = await service.get_template(uow, actor, request.match_info["id"])
    row = await service.save_template(uow, actor, body, row)
    return ok(template_out(row))


@router.route(
    "DELETE", BASE + "/{id}", summary="Delete a template", response=Envelope[MessageText],
    errors=(401, 404),
)  # fmt: skip
async def delete_template(request: web.Request) -> web.Response:
    """Delete one template."""
    await service.delete_template(uow_of(request), actor_of(request), request.match_info["id"])
    return ok(MessageText(message="Template deleted successfully"))
