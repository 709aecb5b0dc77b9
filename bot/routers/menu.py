"""The admin menu and help (admins only)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Menu, Section
from bot.filters import IsAdmin
from bot.replies import reply_target
from bot.views import MENU_TEXT, menu

HELP = (
    "<b>Admin help</b>\n"
    "/new — create a campaign step by step (/cancel stops at any step)\n"
    "/campaigns — list, open a card, execute, pause, resume, cancel, clone, statistics\n"
    "/schedules — recurring and scheduled sends\n"
    "/audience — subscribers by status and segment sizes\n"
    "/webhooks — outgoing webhook endpoints, their health and last failures\n"
    "/menu — this menu"
)


async def show_menu(message: Message, state: FSMContext) -> None:
    """/menu: a fresh start (an unfinished wizard or schedule prompt is left behind)."""
    await state.clear()
    await message.answer(MENU_TEXT, reply_markup=menu())


async def show_help(event: Message | CallbackQuery) -> None:
    """/help for admins."""
    target = reply_target(event)
    if isinstance(event, CallbackQuery):
        await event.answer()
    await target.answer(HELP)


def build_router() -> Router:
    """/menu and the admins' /help (before the subscribers' /help)."""
    router = Router(name="menu")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(show_menu, Command("menu"))
    router.message.register(show_help, Command("help"))
    router.callback_query.register(show_help, Menu.filter(F.section == Section.HELP))
    return router
