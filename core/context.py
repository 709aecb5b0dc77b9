"""What the core needs from the outside world, built once by the composition root."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.events import EventBus
from core.uow import UnitOfWork
from core.webhooks.urls import UrlPolicy
from storage.db import read_only_bind
from storage.types import utcnow


@dataclass
class CoreContext:
    """Session factory, event bus, clock and the few settings business rules depend on."""

    session_factory: async_sessionmaker[AsyncSession]
    bus: EventBus = field(default_factory=EventBus)
    clock: Callable[[], datetime] = utcnow
    admin_ids: tuple[int, ...] = ()
    send_rate: float = 30.0
    # Where outgoing webhooks may point (WEBHOOK_ALLOW_PRIVATE_URLS, WEBHOOK_ALLOW_HTTP).
    webhook_urls: UrlPolicy = field(default_factory=UrlPolicy)

    def uow(self, *, read_only: bool = False) -> UnitOfWork:
        """A fresh unit of work; `read_only` ones skip transaction round trips where the
        database allows (they must not write)."""
        bind = self._read_only_bind if read_only else None
        return UnitOfWork(self.session_factory, self.bus, self.clock, bind=bind)

    @cached_property
    def _read_only_bind(self) -> AsyncEngine:
        return read_only_bind(self.session_factory.kw["bind"])


@dataclass(frozen=True)
class Actor:
    """Who acts: a tenant plus a label for the audit trail (an API key, an admin, the system)."""

    tenant_id: int
    label: str
