"""Asking Telegram whether the bot can send before accepting work that needs it (getMe)."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError


class TelegramUnavailable(Exception):
    """Telegram refused or failed the call: the request cannot be served now (a 502)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TelegramCheck:
    """getMe through the service's bot; a success is trusted for `ttl` seconds."""

    def __init__(
        self, bot: Bot, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.bot = bot
        self.ttl = ttl
        self.clock = clock
        self._ok_until = float("-inf")

    async def ensure(self) -> None:
        """Return if the bot works; TelegramUnavailable with Telegram's reason if not."""
        if self.clock() < self._ok_until:
            return
        try:
            await self.bot.get_me()
        except TelegramUnauthorizedError as exc:
            raise TelegramUnavailable(
                f"upstream: Telegram rejected the bot token ({exc.message})"
            ) from None
        except (TelegramNetworkError, TelegramAPIError) as exc:
            raise TelegramUnavailable(f"upstream: Telegram call failed ({exc.message})") from None
        self._ok_until = self.clock() + self.ttl
