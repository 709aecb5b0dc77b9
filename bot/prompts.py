"""What the wizard says at each step, and its keyboards."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.callbacks import Choice, Nav
from core.models import CampaignType

WHEN_CHOICES = (
    ("now", "Send now"),
    ("at", "At a date and time"),
    ("daily", "Every day"),
    ("weekly", "Every week"),
    ("draft", "Just save the draft"),
)
COMMON_ZONES = ("UTC", "Europe/London", "Europe/Berlin", "America/New_York", "Asia/Tokyo")

TEXTS = {
    "name": "New campaign. What is its name?",
    "type": "What kind of campaign is it?",
    "content": (
        "Send the message exactly as recipients should see it: text with formatting, or a "
        "photo, video, animation or document with a caption. Use {{first_name}} to personalise."
    ),
    "buttons": "Add link buttons, one per line as <code>Text | https://…</code>, or - to skip.",
    "audience": "Who receives it?",
    "audience_value": "Send the tag (e.g. vip).",
    "variant": "Add an A/B variant (a second version for part of the audience)?",
    "variant_content": "Send the variant message, as recipients should see it.",
    "variant_weight": "What percent of recipients get the variant? (1–99)",
    "when": "When should it go out?",
    "timezone": "Pick your time zone (I will remember it), or send an IANA name like Europe/Paris.",
    "date": "Send the date and time as YYYY-MM-DD HH:MM (your zone: {zone}).",
    "recurring": "Send the time: 09:30 for daily, or mon 09:30 for weekly (your zone: {zone}).",
}


def prompt(step: str, zone: str = "UTC") -> str:
    """The question of a step."""
    return TEXTS.get(step, "").format(zone=zone)


def nav_row(builder: InlineKeyboardBuilder, *, back: bool = True) -> None:
    """Back and Cancel under every step."""
    if back:
        builder.button(text="« Back", callback_data=Nav(action="back"))
    builder.button(text="Cancel", callback_data=Nav(action="cancel"))


def keyboard(step: str, **extra: object) -> InlineKeyboardMarkup:
    """The buttons of a step."""
    builder = InlineKeyboardBuilder()
    if step == "type":
        for kind in CampaignType:
            builder.button(
                text=kind.value.replace("_", " "),
                callback_data=Choice(step="type", value=kind.value),
            )
        builder.adjust(2)
    elif step == "audience":
        builder.button(
            text=f"Everyone ({extra.get('everyone', '?')})",
            callback_data=Choice(step="audience", value="all"),
        )
        builder.button(text="A segment", callback_data=Choice(step="audience", value="segment"))
        builder.button(text="A tag", callback_data=Choice(step="audience", value="tag"))
        builder.adjust(1)
    elif step == "segments":
        for segment_id, label in extra.get("segments", []):  # type: ignore[attr-defined]
            builder.button(text=label, callback_data=Choice(step="segment", value=segment_id))
        builder.adjust(1)
    elif step == "variant":
        builder.button(text="Yes", callback_data=Choice(step="variant", value="yes"))
        builder.button(text="No", callback_data=Choice(step="variant", value="no"))
    elif step == "when":
        for value, label in WHEN_CHOICES:
            builder.button(text=label, callback_data=Choice(step="when", value=value))
        builder.adjust(1)
    elif step == "timezone":
        for zone in COMMON_ZONES:
            builder.button(text=zone, callback_data=Choice(step="timezone", value=zone))
        builder.adjust(2)
    elif step == "confirm":
        builder.button(text="✅ Confirm", callback_data=Choice(step="confirm", value="yes"))
    rows = builder.export()
    nav = InlineKeyboardBuilder()
    nav_row(nav, back=step != "name")
    return InlineKeyboardMarkup(inline_keyboard=[*rows, *nav.export()])
