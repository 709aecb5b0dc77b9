"""Update middlewares: one unit of work per update."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from core.context import CoreContext


class UnitOfWorkMiddleware(BaseMiddleware):
    """Opens a unit of work for each update, as the `uow` handler argument; commits on success."""

    def __init__(self, core: CoreContext) -> None:
        self.core = core

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.core.uow() as uow:
            data["uow"] = uow
            return await handler(event, data)
