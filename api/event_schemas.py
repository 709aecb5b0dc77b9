"""POST /api/v1/events response shapes, from core's typed event results."""

from __future__ import annotations

from api.schemas import Out, omitted_when_none
from core.ids import format_id
from core.interactions import Conversion
from core.scheduling.triggers import EventResult, EventStatus


class ConversionOut(Out):
    """Where a conversion event was put down: the campaign and delivery, the value added to
    the campaign's revenue, and whether it was the recipient's first (counted once)."""

    interaction_id: str
    campaign_id: str
    delivery_id: str
    value: float
    first: bool


class EventResultOut(Out):
    """One event's outcome: accepted (with its id and how many sends it planned), duplicate
    (its eventId was seen before) or unknown_subscriber. An accepted `conversion` event has
    `conversion` once attributed to a campaign (left out when it names none of the
    subscriber's)."""

    event_id: str | None
    id: str | None = omitted_when_none()
    status: EventStatus
    triggered: int
    conversion: ConversionOut | None = omitted_when_none()


class EventResults(Out):
    """One result per event, in the order sent."""

    results: list[EventResultOut]


def _conversion_out(conversion: Conversion | None) -> ConversionOut | None:
    if conversion is None:
        return None
    return ConversionOut(
        interaction_id=format_id("interaction", conversion.interaction_id),
        campaign_id=format_id("campaign", conversion.campaign_id),
        delivery_id=format_id("delivery", conversion.delivery_id),
        value=conversion.value,
        first=conversion.first,
    )


def results_out(results: list[EventResult]) -> EventResults:
    """Render the outcomes of a batch."""
    return EventResults(
        results=[
            EventResultOut(
                event_id=r.event_id,
                id=None if r.stored_id is None else format_id("event", r.stored_id),
                status=r.status,
                triggered=r.triggered,
                conversion=_conversion_out(r.conversion),
            )
            for r in results
        ]
    )
