"""Texts and keyboards of the admin screens (menu, campaign list and card, schedules)."""

from __future__ import annotations

from html import escape

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import CampaignAct, CampaignCard, CampaignPage, Menu, ScheduleAct
from storage.models import Campaign
from storage.models_scheduling import Schedule
from storage.repositories.campaign_list import CampaignRow

STATUS_FILTERS = ("all", "draft", "scheduled", "active", "paused", "completed", "cancelled")
ACTION_LABELS = {
    "execute": "▶️ Execute",
    "schedule": "🕒 Schedule",
    "pause": "⏸ Pause",
    "resume": "▶️ Resume",
    "cancel": "⛔ Cancel",
    "clone": "📄 Clone",
    "delete": "🗑 Delete",
    "test_send": "🧪 Test send to me",
}
DESTRUCTIVE = frozenset({"cancel", "delete"})
PAGE_SIZE = 8
MENU_TEXT = "<b>Admin menu</b>\nWhat would you like to do?"


def menu() -> InlineKeyboardMarkup:
    """The admin main menu."""
    builder = InlineKeyboardBuilder()
    for section, label in (("new", "➕ New campaign"), ("campaigns", "📣 Campaigns"),
                           ("schedules", "🗓 Schedules"), ("audience", "👥 Audience"),
                           ("help", "❓ Help")):  # fmt: skip
        builder.button(text=label, callback_data=Menu(section=section))
    builder.adjust(1, 2, 2)
    return builder.as_markup()


def campaign_list(
    campaigns: list[CampaignRow], page: int, pages: int, status: str
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
    for name in STATUS_FILTERS:
        mark = "• " if name == status else ""
        filters.button(text=f"{mark}{name}", callback_data=CampaignPage(page=1, status=name))
    filters.adjust(4)
    paging = InlineKeyboardBuilder()
    if page > 1:
        paging.button(text="‹ Prev", callback_data=CampaignPage(page=page - 1, status=status))
    if page < pages:
        paging.button(text="Next ›", callback_data=CampaignPage(page=page + 1, status=status))
    return InlineKeyboardMarkup(
        inline_keyboard=[*builder.export(), *filters.export(), *paging.export()]
    )


def card_text(campaign: Campaign, audience: int) -> str:
    """Key facts of a campaign (HTML)."""
    lines = [
        f"<b>{escape(campaign.name)}</b> · camp_{campaign.id}",
        f"Type: {campaign.type} · Status: <b>{campaign.status}</b>",
        f"Audience now: {audience} · Sent: {campaign.sent_count} · Failed: {campaign.failed_count}",
        f"Clicks: {campaign.clicked_count} · Runs: {campaign.executions_total}",
    ]
    if campaign.scheduled_at and campaign.status == "scheduled":
        lines.append(f"Scheduled: {campaign.scheduled_at:%Y-%m-%d %H:%M} UTC")
    return "\n".join(lines)


def card_keyboard(campaign: Campaign, actions: list[str]) -> InlineKeyboardMarkup:
    """Only the actions the lifecycle allows now, plus statistics."""
    builder = InlineKeyboardBuilder()
    for action in actions:
        if action in ACTION_LABELS:
            builder.button(
                text=ACTION_LABELS[action],
                callback_data=CampaignAct(campaign_id=campaign.id, action=action),
            )
    builder.button(
        text="📊 Statistics", callback_data=CampaignAct(campaign_id=campaign.id, action="stats")
    )
    builder.button(text="« Campaigns", callback_data=CampaignPage(page=1))
    builder.adjust(2)
    return builder.as_markup()


def confirm_keyboard(campaign_id: int, action: str) -> InlineKeyboardMarkup:
    """Are you sure?"""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=f"Yes, {action}",
        callback_data=CampaignAct(campaign_id=campaign_id, action=action, confirmed=True),
    )
    builder.button(text="No", callback_data=CampaignCard(campaign_id=campaign_id))
    return builder.as_markup()


def schedule_list(schedules: list[Schedule]) -> InlineKeyboardMarkup:
    """Pause / resume / delete per schedule."""
    builder = InlineKeyboardBuilder()
    for schedule in schedules:
        if schedule.status in ("active", "scheduled"):
            builder.button(
                text=f"⏸ {schedule.name}",
                callback_data=ScheduleAct(schedule_id=schedule.id, action="pause"),
            )
        elif schedule.status == "paused":
            builder.button(
                text=f"▶️ {schedule.name}",
                callback_data=ScheduleAct(schedule_id=schedule.id, action="resume"),
            )
        builder.button(
            text=f"🗑 {schedule.name}",
            callback_data=ScheduleAct(schedule_id=schedule.id, action="delete"),
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
