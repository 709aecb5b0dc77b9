"""What the core needs from the outside world, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.events import EventBus
from core.uow import UnitOfWork
from storage.types import utcnow


@dataclass
class CoreContext:
    """Session factory, event bus, clock and the few settings business rules depend on."""

    session_factory: async_sessionmaker[AsyncSession]
    bus: EventBus = field(default_factory=EventBus)
    clock: Callable[[], datetime] = utcnow
    admin_ids: tuple[int, ...] = ()
    send_rate: float = 30.0

    def uow(self) -> UnitOfWork:
        """A fresh unit of work."""
        return UnitOfWork(self.session_factory, self.bus, self.clock)


@dataclass(frozen=True)
class Actor:
    """Who acts: a tenant plus a label for the audit trail (an API key, an admin, the system)."""

    tenant_id: int
    label: str
