"""The last word on a failed update: logged, and the person told it did not work."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent

log = logging.getLogger(__name__)
SORRY = "Sorry, something went wrong and that did not work. Please try again."


async def on_error(event: ErrorEvent) -> None:
    """Runs after the update's unit of work was rolled back (the errors middleware is outermost)."""
    log.error(
        "update %s failed", event.update.update_id,
        exc_info=(type(event.exception), event.exception, event.exception.__traceback__),
    )  # fmt: skip
    if isinstance(event.exception, TelegramAPIError):
        return  # Telegram refused a call (often benign, "message is not modified"): no retry
    update = event.update
    message = update.message or (update.callback_query.message if update.callback_query else None)
    if message is None or message.chat.type != "private":
        return
    with contextlib.suppress(TelegramAPIError):
        await message.answer(SORRY)


def build_router() -> Router:
    """A fresh router holding the error handler."""
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
