"""POST /api/v1/events: report subscriber events that start trigger-based campaigns."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from api.envelope import ok
from api.keys import actor_of, uow_of
from api.parsing import read_json, validate_model
from api.registry import ApiRouter
from api.schemas import Envelope
from core.errors import ValidationFailed
from core.scheduling.triggers import EventBatch, EventIn, ingest

router = ApiRouter(tag="Events")


class EventResults(BaseModel):
    """One result per event: accepted (with how many sends it triggered), duplicate, unknown."""

    model_config = ConfigDict(extra="allow")
    results: list[dict[str, object]]


@router.route(
    "POST", "/api/v1/events", summary="Report one event or {events: [...]} (≤ 1000)",
    body=EventBatch, response=Envelope[EventResults], status=202, errors=(400, 401, 413),
)  # fmt: skip
async def post_events(request: web.Request) -> web.Response:
    """Events with an eventId seen before are ignored (status duplicate)."""
    raw = await read_json(request)
    if not isinstance(raw, dict):
        raise ValidationFailed(
            "The body must be a JSON object.",
            details=[{"field": "body", "message": "not an object"}],
        )
    if "events" in raw:
        items = validate_model(EventBatch, raw, "request body").events
    else:
        items = [validate_model(EventIn, raw, "request body")]
    results = await ingest(uow_of(request), actor_of(request), items)
    return ok({"results": results}, status=202)
