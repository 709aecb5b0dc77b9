"""Texts and keyboards of the admin screens (menu, campaign list and card, schedules)."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import (
    CampaignAct,
    CampaignCard,
    CampaignPage,
    CampaignStats,
    Menu,
    ScheduleAct,
    Section,
)
from core.lifecycle import Action, PauseReason, ScheduleAction, ScheduleStatus, Status
from core.statistics_figures import goal_progress
from storage.models import Campaign
from storage.models_scheduling import Schedule
from storage.repositories.campaign_list import CampaignRow

# The list's status filters; None is "all".
STATUS_FILTERS: tuple[Status | None, ...] = (
    None, Status.DRAFT, Status.SCHEDULED, Status.ACTIVE, Status.PAUSED, Status.COMPLETED,
    Status.CANCELLED,
)  # fmt: skip
ACTION_LABELS = {
    Action.EXECUTE: "▶️ Execute",
    Action.SCHEDULE: "🕒 Schedule",
    Action.PAUSE: "⏸ Pause",
    Action.RESUME: "▶️ Resume",
    Action.CANCEL: "⛔ Cancel",
    Action.CLONE: "📄 Clone",
    Action.DELETE: "🗑 Delete",
    Action.TEST_SEND: "🧪 Test send to me",
}
DESTRUCTIVE = frozenset({Action.CANCEL, Action.DELETE})
PAGE_SIZE = 8
MENU_TEXT = "<b>Admin menu</b>\nWhat would you like to do?"


def menu() -> InlineKeyboardMarkup:
    """The admin main menu."""
    builder = InlineKeyboardBuilder()
    for section, label in ((Section.NEW, "➕ New campaign"), (Section.CAMPAIGNS, "📣 Campaigns"),
                           (Section.SCHEDULES, "🗓 Schedules"), (Section.AUDIENCE, "👥 Audience"),
                           (Section.WEBHOOKS, "🔗 Webhooks"),
                           (Section.HELP, "❓ Help")):  # fmt: skip
        builder.button(text=label, callback_data=Menu(section=section))
    builder.adjust(1, 2, 2, 1)
    return builder.as_markup()


def campaign_list(
    campaigns: list[CampaignRow], page: int, pages: int, status: Status | None
) -> InlineKeyboardMarkup:
    """One button per campaign, status filters, paging."""
    builder = InlineKeyboardBuilder()
    for campaign in campaigns:
        builder.button(
            text=f"{campaign.name} · {campaign.status}",
            callback_data=CampaignCard(campaign_id=campaign.id),
        )
    builder.adjust(1)
    filters = InlineKeyboardBuilder()
    for choice in STATUS_FILTERS:
        mark = "• " if choice == status else ""
        filters.button(
            text=f"{mark}{filter_label(choice)}", callback_data=CampaignPage(page=1, status=choice)
        )
    filters.adjust(4)
    paging = InlineKeyboardBuilder()
    if page > 1:
        paging.button(text="‹ Prev", callback_data=CampaignPage(page=page - 1, status=status))
    if page < pages:
        paging.button(text="Next ›", callback_data=CampaignPage(page=page + 1, status=status))
    return InlineKeyboardMarkup(
        inline_keyboard=[*builder.export(), *filters.export(), *paging.export()]
    )


def filter_label(status: Status | None) -> str:
    """A status filter as the list names it."""
    return "all" if status is None else status.value


def card_text(campaign: Campaign, audience: int) -> str:
    """Key facts of a campaign (HTML)."""
    lines = [
        f"<b>{escape(campaign.name)}</b> · camp_{campaign.id}",
        f"Type: {campaign.type} · Status: <b>{campaign.status}</b>",
        f"Audience now: {audience} · Sent: {campaign.sent_count} · Failed: {campaign.failed_count}",
        f"Clicks: {campaign.clicked_count} · Runs: {campaign.executions_total}",
    ]
    if campaign.scheduled_at and campaign.status == Status.SCHEDULED:
        lines.append(f"Scheduled: {campaign.scheduled_at:%Y-%m-%d %H:%M} UTC")
    if campaign.budget is not None or campaign.cost:
        budget = f" of {campaign.budget:g}" if campaign.budget is not None else ""
        lines.append(f"Spent: {campaign.cost or 0:.1f}{budget} ⭐")
    if campaign.pause_reason == PauseReason.BUDGET_EXHAUSTED:
        lines.append("⏸ Paused: the budget is spent. Raise it, then resume.")
    lines.extend(_goal_lines(campaign))
    return "\n".join(lines)


GOAL_LABELS = (("target_audience", "Reach"), ("conversion_rate", "Conversion %"),
               ("revenue", "Revenue"))  # fmt: skip


def _goal_lines(campaign: Campaign) -> list[str]:
    """One line per goal set: actual / target (percent of the target)."""
    sent = campaign.sent_count
    rate = round(100.0 * campaign.converted_count / sent, 1) if sent else 0.0
    progress = goal_progress(campaign.goals, sent, rate, campaign.revenue or 0.0)
    lines = []
    for field, label in GOAL_LABELS:
        goal = getattr(progress, field)
        if goal is not None:
            lines.append(f"🎯 {label}: {goal.actual:g} / {goal.target:g} ({goal.percent:g}%)")
    return lines


def card_keyboard(campaign: Campaign, actions: list[str]) -> InlineKeyboardMarkup:
    """Only the actions the lifecycle allows now, plus statistics."""
    builder = InlineKeyboardBuilder()
    for name in actions:
        action = Action(name)
        if action in ACTION_LABELS:
            builder.button(
                text=ACTION_LABELS[action],
                callback_data=CampaignAct(campaign_id=campaign.id, action=action),
            )
    builder.button(text="📊 Statistics", callback_data=CampaignStats(campaign_id=campaign.id))
    builder.button(text="« Campaigns", callback_data=CampaignPage(page=1))
    builder.adjust(2)
    return builder.as_markup()


def confirm_keyboard(campaign_id: int, action: Action) -> InlineKeyboardMarkup:
    """Are you sure?"""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=f"Yes, {action.value}",
        callback_data=CampaignAct(campaign_id=campaign_id, action=action, confirmed=True),
    )
    builder.button(text="No", callback_data=CampaignCard(campaign_id=campaign_id))
    return builder.as_markup()


def schedule_list(schedules: list[Schedule]) -> InlineKeyboardMarkup:
    """Pause / resume / delete per schedule."""
    builder = InlineKeyboardBuilder()
    for schedule in schedules:
        if schedule.status in (ScheduleStatus.ACTIVE, ScheduleStatus.SCHEDULED):
            builder.button(
                text=f"⏸ {schedule.name}",
                callback_data=ScheduleAct(schedule_id=schedule.id, action=ScheduleAction.PAUSE),
            )
        elif schedule.status == ScheduleStatus.PAUSED:
            builder.button(
                text=f"▶️ {schedule.name}",
                callback_data=ScheduleAct(schedule_id=schedule.id, action=ScheduleAction.RESUME),
            )
        builder.button(
            text=f"🗑 {schedule.name}",
            callback_data=ScheduleAct(schedule_id=schedule.id, action=ScheduleAction.DELETE),
        )
    builder.adjust(2)
    return builder.as_markup()


def progress_text(
    name: str, percentage: float, sent: int, failed: int, total: int, rate: float, eta: str
) -> str:
    """The live progress message (HTML)."""
    filled = int(percentage // 10)
    bar = "█" * filled + "░" * (10 - filled)
    return (
        f"📤 <b>{escape(name)}</b>\n{bar} {percentage:.0f}%\n"
        f"Sent {sent} · Failed {failed} · of {total}\n{rate:.1f} msg/s · ETA {eta}"
    )
