"""Unit of work: one session per request or update; it alone commits, then publishes events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.events import DomainEvent, EventBus
from core.webhooks.events import write_outbox


class UnitOfWork:
    """A transaction plus the domain events it will publish once committed."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        bus: EventBus,
        clock: Callable[[], datetime],
        *,
        bind: AsyncEngine | None = None,
    ) -> None:
        self._factory = session_factory
        self._bind = bind
        self.bus = bus
        self.clock = clock
        self._pending: list[DomainEvent] = []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The open session (only inside `async with`)."""
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside `async with`")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._factory() if self._bind is None else self._factory(bind=self._bind)
        self._pending = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            if exc_type is None:
                await write_outbox(session, self._pending, self.clock())
                await session.commit()
            else:
                await session.rollback()
        finally:
            await session.close()
        if exc_type is None:
            await self._publish()

    async def commit(self) -> None:
        """Commit now and publish the pending events; the unit of work stays open for reads.

        The events' webhook outbox rows are written first, in the same transaction."""
        await write_outbox(self.session, self._pending, self.clock())
        await self.session.commit()
        await self._publish()

    async def rollback(self) -> None:
        """Drop uncommitted changes and the events that would have followed them."""
        self._pending = []
        await self.session.rollback()

    async def _publish(self) -> None:
        events, self._pending = self._pending, []
        for event in events:
            await self.bus.publish(event)

    def emit(self, event: DomainEvent) -> None:
        """Queue an event; it is published only if the transaction commits."""
        self._pending.append(event)

    async def flush(self) -> None:
        """Send pending changes to the database without committing."""
        await self.session.flush()
