"""Bot-side events (`user_registered` on /start, `unsubscribed` on /stop) feed the trigger path."""

from __future__ import annotations

import logging

from core.context import Actor, CoreContext
from core.event_names import UNSUBSCRIBED, USER_REGISTERED
from core.events import DomainEvent
from core.ids import format_id
from core.scheduling.triggers import EventIn, ingest

log = logging.getLogger(__name__)
BOT_EVENTS = (USER_REGISTERED, UNSUBSCRIBED)


def connect_bot_events(core: CoreContext) -> None:
    """Subscribe the trigger ingestion to the bot's subscriber events."""

    async def forward(event: DomainEvent) -> None:
        if event.subscriber_id is None:
            return
        item = EventIn(
            event=event.name,
            event_id=f"bot:{event.name}:{event.subscriber_id}:{event.occurred_at.timestamp():.6f}",
            subscriber_id=format_id("subscriber", event.subscriber_id),
            properties={k: v for k, v in event.data.items() if v is not None},
            occurred_at=event.occurred_at,
        )
        async with core.uow() as uow:
            await ingest(uow, Actor(event.tenant_id, "system:bot"), [item])

    for name in BOT_EVENTS:
        core.bus.subscribe(name, forward)
