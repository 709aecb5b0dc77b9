"""POST /api/v1/events: report subscriber events that start trigger-based campaigns."""

from __future__ import annotations

from aiohttp import web

from api.envelope import ok
from api.event_schemas import EventResults, results_out
from api.keys import actor_of, uow_of
from api.parsing import read_body
from api.registry import ApiRouter
from api.schemas import Envelope
from core.errors import ValidationFailed
from core.scheduling.triggers import EventBatch, EventIn, ingest

router = ApiRouter(tag="Events")


@router.route(
    "POST", "/api/v1/events", summary="Report one event or {events: [...]} (≤ 1000)",
    body=EventBatch, response=Envelope[EventResults], status=202, errors=(400, 401, 413),
)  # fmt: skip
async def post_events(request: web.Request) -> web.Response:
    """Events with an eventId seen before are ignored (status duplicate). A `conversion`
    event (properties.value its amount) counts on the campaign it names (campaignId or
    deliveryId) or whose message reached the subscriber last."""
    body = await read_body(request)
    if body is None:
        raise ValidationFailed(
            "A JSON body is required.", details=[{"field": "body", "message": "is required"}]
        )
    batch = "events" in body.data
    items = body.validate(EventBatch).events if batch else [body.validate(EventIn)]
    results = await ingest(uow_of(request), actor_of(request), items)
    return ok(results_out(results), status=202)
