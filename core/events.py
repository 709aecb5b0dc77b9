"""Domain events and the in-process bus that statistics, notifications and webhooks plug into."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.types import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened (to a campaign or a subscriber), published after commit."""

    name: str
    tenant_id: int
    campaign_id: int | None
    actor: str
    from_status: str | None = None
    to_status: str | None = None
    execution_id: int | None = None
    subscriber_id: int | None = None
    occurred_at: datetime = field(default_factory=utcnow)
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[DomainEvent], Awaitable[None]]


class EventBus:
    """Fan-out of domain events to subscribed coroutines; a failing handler never blocks others."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = defaultdict(list)

    def subscribe(self, name: str, handler: Handler) -> None:
        """Call `handler` for events named `name` (`*` for every event)."""
        self._handlers[name].append(handler)

    async def publish(self, event: DomainEvent) -> None:
        """Deliver `event` to its handlers, logging (not raising) their failures."""
        handlers = [*self._handlers.get(event.name, ()), *self._handlers.get("*", ())]
        if not handlers:
            return
        results = await asyncio.gather(*(h(event) for h in handlers), return_exceptions=True)
        for handler, result in zip(handlers, results, strict=True):
            if isinstance(result, BaseException):
                log.error(
                    "event handler %r failed for %s",
                    handler,
                    event.name,
                    exc_info=(type(result), result, result.__traceback__),
                )
