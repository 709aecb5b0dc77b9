"""What the v2 face needs from the process beyond the core: the Telegram check (optional)."""

from __future__ import annotations

from aiohttp import web

from core.telegram_check import TelegramCheck

# Set where the process has a bot (runtime); without it the face does not ask Telegram first.
TELEGRAM_CHECK = web.AppKey("v2_telegram_check", TelegramCheck)
