"""Delivery ledger routes: list failed / unknown recipients, resend unknown ones."""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from pydantic import Field

from api.envelope import ok
from api.keys import actor_of, uow_of
from api.parsing import parse_body
from api.query import parse_query
from api.registry import ApiRouter
from api.schemas import Envelope, Out, PageQuery, Pagination, UtcTime, pagination
from core import campaigns as campaign_service
from core import deliveries as service
from core.models import CamelModel
from core.validation import Line, Lowercase

router = ApiRouter(tag="Delivery ledger")
BASE = "/api/v1/campaigns/{id}/deliveries"


class DeliveryQuery(PageQuery):
    """Query of GET /deliveries."""

    status: Lowercase[str] = Field(default="failed,unknown", max_length=100)


class DeliveryOut(Out):
    """One recipient's row."""

    id: str
    execution_id: str
    subscriber_id: str
    telegram_id: int | None
    name: str | None
    username: str | None
    chat_id: int
    status: str
    variation: int
    attempts: int
    message_id: int | None
    error_code: str | None
    error_detail: str | None
    processed_at: UtcTime | None


class DeliveryList(Out):
    """data of GET /deliveries."""

    deliveries: list[DeliveryOut]
    pagination: Pagination


class ResendRequest(CamelModel):
    """Body of POST /deliveries/resend: which unknown rows (all when absent)."""

    delivery_ids: list[Annotated[Line, Field(max_length=64)]] | None = Field(
        default=None, max_length=10_000
    )


class ResendOut(Out):
    """data of POST /deliveries/resend."""

    requeued: int
    message: str


@router.route(
    "GET",
    BASE,
    summary="Recipients of a campaign by delivery status (default failed,unknown)",
    query=DeliveryQuery,
    response=Envelope[DeliveryList],
    errors=(400, 401, 404),
)
async def list_deliveries(request: web.Request) -> web.Response:
    """Paged ledger rows with their error codes."""
    query = parse_query(request, DeliveryQuery)
    statuses = service.parse_statuses(query.status)
    uow = uow_of(request)
    campaign = await campaign_service.get_campaign(uow, actor_of(request), request.match_info["id"])
    page = await service.list_deliveries(
        uow, campaign, statuses, page=query.page, limit=query.limit
    )
    items: list[dict[str, Any]] = page.items
    data = DeliveryList(
        deliveries=[DeliveryOut(**item) for item in items],
        pagination=pagination(query.page, query.limit, page.total),
    )
    return ok(data)


@router.route(
    "POST",
    BASE + "/resend",
    summary="Send `unknown` rows again (may duplicate: deliberate)",
    body=ResendRequest,
    body_optional=True,
    response=Envelope[ResendOut],
    errors=(400, 401, 404, 409),
)
async def resend(request: web.Request) -> web.Response:
    """Requeue unknown rows; a recipient who did get the message gets it twice."""
    body = await parse_body(request, ResendRequest, optional=True)
    uow, actor = uow_of(request), actor_of(request)
    # No campaign lock: requeueing touches only ledger rows and executions (see lock order).
    campaign = await campaign_service.get_campaign(uow, actor, request.match_info["id"])
    count = await service.resend_unknown(uow, actor, campaign, body.delivery_ids)
    return ok(ResendOut(requeued=count, message=f"{count} deliveries queued again"))
