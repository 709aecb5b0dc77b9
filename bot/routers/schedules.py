"""Schedules: the list and its pause, resume and delete buttons (admins only)."""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import Menu, ScheduleAct, Section
from bot.filters import IsAdmin
from bot.replies import reply_target
from bot.views import schedule_list
from core.admins import admin_actor
from core.errors import DomainError
from core.ids import format_id
from core.lifecycle import ScheduleAction
from core.scheduling import service as schedules
from core.uow import UnitOfWork


async def show_schedules(event: Message | CallbackQuery, uow: UnitOfWork, tenant_id: int) -> None:
    """Waiting, paused and finished schedules with their next run."""
    target = reply_target(event)
    if isinstance(event, CallbackQuery):
        await event.answer()
    rows, total = await schedules.list_schedules(
        uow, admin_actor(tenant_id, 0), status=None, type_=None, skip=0, limit=20
    )
    if not rows:
        await target.answer("No schedules yet. /new → “Every day” or “Every week” creates one.")
        return
    lines = [f"<b>Schedules</b> ({total})"]
    for row in rows:
        nxt = f"{row.next_run_at:%Y-%m-%d %H:%M} UTC" if row.next_run_at else "—"
        lines.append(
            f"{escape(row.name)} · {row.type} · {row.status} · next {nxt} · runs {row.run_count}"
        )
    await target.answer("\n".join(lines), reply_markup=schedule_list(rows))


async def schedule_action(
    query: CallbackQuery, callback_data: ScheduleAct, uow: UnitOfWork, tenant_id: int
) -> None:
    """Pause, resume or delete a schedule (through the schedule lifecycle)."""
    actor = admin_actor(tenant_id, query.from_user.id)
    try:
        row = await schedules.get_schedule(
            uow, actor, format_id("schedule", callback_data.schedule_id), lock=True
        )
        await BUTTONS[callback_data.action](uow, actor, row)
        await uow.commit()
    except DomainError as exc:
        await uow.rollback()
        await query.answer(exc.message[:190], show_alert=True)
        return
    await query.answer(f"Done: {callback_data.action.value}")


# The schedule buttons; a forged action outside these is not handled (the filter below).
BUTTONS = {
    ScheduleAction.PAUSE: schedules.pause_schedule,
    ScheduleAction.RESUME: schedules.resume_schedule,
    ScheduleAction.DELETE: schedules.delete_schedule,
}


def build_router() -> Router:
    """/schedules, its menu entry and the schedule buttons."""
    router = Router(name="schedules")
    router.message.filter(IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(show_schedules, Command("schedules"))
    router.callback_query.register(show_schedules, Menu.filter(F.section == Section.SCHEDULES))
    router.callback_query.register(schedule_action, ScheduleAct.filter(F.action.in_(BUTTONS)))
    return router
