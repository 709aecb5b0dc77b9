"""The Telegram side of a process: conversation storage, the dispatcher, webhook or polling."""

from __future__ import annotations

import contextlib

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.fsm.storage.redis import RedisStorage
from aiohttp import web

from bot.dispatcher import build_dispatcher
from bot.progress import ProgressReporter
from core.config import Settings
from core.context import CoreContext
from telegram_webhook import CheckedRequestHandler

WEBHOOK_PATH = "/telegram/webhook"


def fsm_storage(settings: Settings, stack: contextlib.AsyncExitStack) -> BaseStorage:
    """Conversation state: in memory, or in Redis (survives restarts, shared by processes)."""
    if not settings.redis_url:
        return MemoryStorage()
    storage = RedisStorage.from_url(settings.redis_url)
    stack.push_async_callback(storage.close)
    return storage


def shared_dispatcher(
    core: CoreContext,
    tenant_id: int,
    storage: BaseStorage,
    progress: ProgressReporter,
) -> Dispatcher:
    """The bot's dispatcher; with Redis, one chat's updates are handled one at a time across
    every process (a lock per chat), so two processes never interleave one wizard."""
    isolation = storage.create_isolation() if isinstance(storage, RedisStorage) else None
    return build_dispatcher(
        core, tenant_id, storage=storage, progress=progress, events_isolation=isolation
    )


def mount_webhook(
    app: web.Application, settings: Settings, dispatcher: Dispatcher, bot: Bot
) -> None:
    """The Telegram webhook route: 401 without the secret header, 400 for a non-Update body."""
    secret = settings.webhook_secret
    CheckedRequestHandler(
        dispatcher=dispatcher,
        bot=bot,
        secret_token=secret.get_secret_value() if secret else None,
    ).register(app, path=WEBHOOK_PATH)


async def set_webhook(settings: Settings, dispatcher: Dispatcher, bot: Bot) -> None:
    """Tell Telegram where to post updates (every API process may; the call is idempotent)."""
    secret = settings.webhook_secret
    await bot.set_webhook(
        f"{settings.webhook_url}{WEBHOOK_PATH}",
        secret_token=secret.get_secret_value() if secret else None,
        allowed_updates=dispatcher.resolve_used_update_types(),
    )
