"""The Dispatcher with every router and its injected dependencies."""

from __future__ import annotations

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.middlewares import UnitOfWorkMiddleware
from bot.progress import ProgressReporter
from bot.routers import (
    audience,
    bot_chats,
    campaigns,
    clicks,
    contests,
    errors,
    invitations,
    menu,
    schedules,
    subscribers,
    surveys,
    webhooks,
    wizard,
)
from core.context import CoreContext

PUBLIC_COMMANDS = [
    BotCommand(command="start", description="Subscribe"),
    BotCommand(command="stop", description="Unsubscribe"),
    BotCommand(command="help", description="Help"),
]
ADMIN_COMMANDS = [
    BotCommand(command="menu", description="Admin menu"),
    BotCommand(command="new", description="New campaign"),
    BotCommand(command="campaigns", description="Campaigns"),
    BotCommand(command="schedules", description="Schedules"),
    BotCommand(command="audience", description="Audience"),
    BotCommand(command="webhooks", description="Webhooks: endpoints, health, failures"),
    BotCommand(command="cancel", description="Cancel the current step"),
    *PUBLIC_COMMANDS,
]


def build_dispatcher(
    core: CoreContext,
    tenant_id: int,
    storage: BaseStorage | None = None,
    progress: ProgressReporter | None = None,
    events_isolation: BaseEventIsolation | None = None,
) -> Dispatcher:
    """Routers (admin ones first), the per-update unit of work, named handler arguments."""
    dispatcher = Dispatcher(
        storage=storage or MemoryStorage(),
        events_isolation=events_isolation,
        core=core,
        tenant_id=tenant_id,
        admin_ids=frozenset(core.admin_ids),
        progress=progress,
    )
    dispatcher.update.outer_middleware(UnitOfWorkMiddleware(core))
    dispatcher.include_routers(
        clicks.build_router(),
        contests.build_router(),
        invitations.build_router(),
        bot_chats.build_router(),
        wizard.build_router(),
        campaigns.build_router(),
        menu.build_router(),
        audience.build_router(),
        schedules.build_router(),
        webhooks.build_router(),
        surveys.build_router(),
        subscribers.build_router(),
        errors.build_router(),
    )
    return dispatcher


async def register_commands(bot: Bot, admin_ids: tuple[int, ...]) -> None:
    """setMyCommands: the public list for everyone, the admin list in each admin's chat."""
    await bot.set_my_commands(PUBLIC_COMMANDS, scope=BotCommandScopeDefault())
    for admin_id in admin_ids:
        await bot.set_my_commands(ADMIN_COMMANDS, scope=BotCommandScopeChat(chat_id=admin_id))
