"""The Dispatcher with every router and its injected dependencies."""

from __future__ import annotations

from aiogram import Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage

from bot.middlewares import UnitOfWorkMiddleware
from bot.routers import clicks, subscribers
from core.context import CoreContext


def build_dispatcher(
    core: CoreContext, tenant_id: int, storage: BaseStorage | None = None
) -> Dispatcher:
    """Routers, the per-update unit of work, and named handler arguments (`tenant_id`, `core`)."""
    dispatcher = Dispatcher(storage=storage or MemoryStorage(), core=core, tenant_id=tenant_id)
    dispatcher.update.outer_middleware(UnitOfWorkMiddleware(core))
    dispatcher.include_routers(clicks.build_router(), subscribers.build_router())
    return dispatcher
