"""Campaign content as Bot API calls: variation choice, personalisation, buttons, media."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from core.templating import render, uses_variables, values_for


class CampaignButton(CallbackData, prefix="cb"):
    """Callback data of a campaign message's inline button: which delivery, which button."""

    delivery_id: int
    index: int


@dataclass(frozen=True)
class Content:
    """One message variant, ready to personalise and send."""

    text: str | None
    parse_mode: str | None
    media_type: str | None
    media: str | None
    buttons: tuple[tuple[dict[str, Any], ...], ...]

    @property
    def personalised(self) -> bool:
        """Whether sending needs the recipient's data."""
        return uses_variables(self.text)


def content_for(messages: list[dict[str, Any]], variation: int) -> Content:
    """The variant `variation` (0 = original) of the campaign's first message."""
    base = messages[0] if messages else {}
    variations = base.get("variations") or []
    chosen = variations[variation - 1] if 0 < variation <= len(variations) else {}
    merged = {**base, **{k: v for k, v in chosen.items() if v is not None and k != "weight"}}
    media = merged.get("media") or {}
    return Content(
        text=merged.get("content"),
        parse_mode=merged.get("parseMode"),
        media_type=media.get("type"),
        media=media.get("url") or media.get("fileId"),
        buttons=tuple(tuple(row) for row in (merged.get("buttons") or [])),
    )


def keyboard(content: Content, delivery_id: int) -> InlineKeyboardMarkup | None:
    """Inline keyboard; callback buttons carry the delivery so clicks are attributed."""
    if not content.buttons:
        return None
    rows, index = [], 0
    for row in content.buttons:
        buttons = []
        for button in row:
            if button.get("url"):
                buttons.append(InlineKeyboardButton(text=button["text"], url=button["url"]))
            else:
                data = CampaignButton(delivery_id=delivery_id, index=index).pack()
                buttons.append(InlineKeyboardButton(text=button["text"], callback_data=data))
            index += 1
        rows.append(buttons)
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def send_content(
    bot: Bot,
    chat_id: int,
    content: Content,
    *,
    delivery_id: int,
    recipient: dict[str, Any] | None,
    paid: bool,
) -> Message:
    """Send one personalised message; raises aiogram's exceptions on refusal."""
    text = content.text
    if text and content.personalised:
        text = render(text, values_for(recipient or {}), content.parse_mode)
    markup = keyboard(content, delivery_id)
    common: dict[str, Any] = {"reply_markup": markup, "parse_mode": content.parse_mode}
    if paid:
        common["allow_paid_broadcast"] = True
    if content.media_type == "photo":
        return await bot.send_photo(chat_id, content.media or "", caption=text, **common)
    if content.media_type == "video":
        return await bot.send_video(chat_id, content.media or "", caption=text, **common)
    if content.media_type == "document":
        return await bot.send_document(chat_id, content.media or "", caption=text, **common)
    if content.media_type == "animation":
        return await bot.send_animation(chat_id, content.media or "", caption=text, **common)
    return await bot.send_message(chat_id, text or "", **common)
