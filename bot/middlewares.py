"""Update middlewares: one unit of work per update, committed by the handler before it speaks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from core.context import CoreContext


class UnitOfWorkMiddleware(BaseMiddleware):
    """Opens a unit of work for each update, as the `uow` handler argument.

    It never commits: a handler that changes data calls `await uow.commit()` before its
    first Telegram call about that change, so nobody is told of a change that is not stored
    and no row lock outlives the change. Whatever a handler left uncommitted is rolled back,
    which makes a forgotten commit lose the change loudly instead of racing the reply.
    """

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
            try:
                return await handler(event, data)
            finally:
                await uow.rollback()
