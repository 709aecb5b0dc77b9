"""Bot API request middleware: replies take the token's next send slot, ahead of broadcasts."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import (
    CopyMessage,
    SendAnimation,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendPoll,
    SendVideo,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType

from core.delivery.limiter import Limiter

log = logging.getLogger(__name__)
SENDS = (
    SendMessage, SendPhoto, SendVideo, SendDocument, SendAnimation, SendMediaGroup, SendPoll,
    CopyMessage,
)  # fmt: skip
MAX_RETRIES = 2


def _is_send(method: TelegramMethod[Any]) -> bool:
    """Whether the call sends a message; a plain bool so `method` keeps its TelegramType."""
    return isinstance(method, SENDS)


class PacedReplies(BaseRequestMiddleware):
    """Paces the bot's own sends through the shared limiter with priority; honours 429."""

    def __init__(self, limiter: Limiter) -> None:
        self.limiter = limiter

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not _is_send(method):
            return await make_request(bot, method)
        chat_id: Any = getattr(method, "chat_id", 0)
        for attempt in range(MAX_RETRIES + 1):
            # Tracked: the token's window counts this reply until Telegram has answered it.
            slot = await self.limiter.acquire(
                chat_id if isinstance(chat_id, int) else 0, priority=True, tracked=True
            )
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                self.limiter.pause(exc.retry_after)
                if attempt == MAX_RETRIES:
                    raise
                log.warning("reply rate limited; retrying in %s s", exc.retry_after)
            finally:
                slot.done()
        raise AssertionError("unreachable")
