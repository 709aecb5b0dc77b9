"""POST /api/v1/events response shapes, from core's typed event results."""

from __future__ import annotations

from api.schemas import Out, omitted_when_none
from core.ids import format_id
from core.scheduling.triggers import EventResult, EventStatus


class EventResultOut(Out):
    """One event's outcome: accepted (with its id and how many sends it planned), duplicate
    (its eventId was seen before) or unknown_subscriber."""

    event_id: str | None
    id: str | None = omitted_when_none()
    status: EventStatus
    triggered: int


class EventResults(Out):
    """One result per event, in the order sent."""

    results: list[EventResultOut]


def results_out(results: list[EventResult]) -> EventResults:
    """Render the outcomes of a batch."""
    return EventResults(
        results=[
            EventResultOut(
                event_id=r.event_id,
                id=None if r.stored_id is None else format_id("event", r.stored_id),
                status=r.status,
                triggered=r.triggered,
            )
            for r in results
        ]
    )
