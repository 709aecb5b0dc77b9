"""The audience overview: subscribers by status, segment sizes (admins only)."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Menu, Section
from bot.filters import IsAdmin
from bot.replies import reply_target
from core.admins import admin_actor
from core.ids import format_id
from core.segments import list_segments, segment_size
from core.subscribers import counts_by_status
from core.uow import UnitOfWork


async def show_audience(event: Message | CallbackQuery, uow: UnitOfWork, tenant_id: int) -> None:
    """Counts by status and segment sizes."""
    target = reply_target(event)
    if isinstance(event, CallbackQuery):
        await event.answer()
    actor = admin_actor(tenant_id, 0)
    counts = await counts_by_status(uow, actor)
    lines = ["<b>Audience</b>", *(f"{status}: {count}" for status, count in counts.items())]
    page = await list_segments(uow, actor, page=1, limit=20)
    if page.items:
        lines.append("\n<b>Segments</b>")
        for segment in page.items:
            size = await segment_size(uow, segment)
            lines.append(f"{escape(segment.name)} ({format_id('segment', segment.id)}): {size}")
    await target.answer("\n".join(lines))


def build_router() -> Router:
    """/audience and its menu entry."""
    router = Router(name="audience")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(show_audience, Command("audience"))
    router.callback_query.register(show_audience, Menu.filter(F.section == Section.AUDIENCE))
    return router
