"""Campaign content as Bot API calls: variation choice, personalisation, buttons, media."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import (
    CopyMessage,
    Response,
    SendAnimation,
    SendAudio,
    SendContact,
    SendDice,
    SendDocument,
    SendLocation,
    SendMessage,
    SendPhoto,
    SendVenue,
    SendVideo,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from pydantic import BaseModel, ConfigDict

from core.templating import render, uses_variables, values_for


class SentMessage(BaseModel):
    """What the ledger keeps of a sent Message: its id, and what the policy made for the
    recipient (`ref`: an invite link, a poll id; not a Telegram field, set by the policy)."""

    model_config = ConfigDict(extra="ignore")
    message_id: int
    ref: str | None = None


# aiogram parses every answer as Response[__returning__], and pydantic caches that class only
# weakly: unreferenced, a garbage collection drops it and the next answer rebuilds it (ms).
SENT_RESPONSE = Response[SentMessage]


class _Lean:
    """The same aiogram method, cheaper per call (the broadcast hot path).

    Answered with SentMessage: validating the whole Message that Telegram echoes back (chat,
    sender, entities...) cost more CPU than the request itself. Dumped without its None
    fields, which aiogram drops from the request anyway, after preparing each one.
    """

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        return super().model_dump(exclude_none=True, **kwargs)  # type: ignore[misc]  # mixin


# Declared as aiogram's TelegramMethod declares it (ClassVar[Any]): the base methods' inferred
# type[Message] does not admit SentMessage. aiogram still types the call's result as Message;
# _sent() checks it is the SentMessage actually parsed.
class _SendMessage(_Lean, SendMessage):
    __returning__: ClassVar[Any] = SentMessage


class _SendPhoto(_Lean, SendPhoto):
    __returning__: ClassVar[Any] = SentMessage


class _SendVideo(_Lean, SendVideo):
    __returning__: ClassVar[Any] = SentMessage


class _SendDocument(_Lean, SendDocument):
    __returning__: ClassVar[Any] = SentMessage


class _SendAnimation(_Lean, SendAnimation):
    __returning__: ClassVar[Any] = SentMessage


class _SendAudio(_Lean, SendAudio):
    __returning__: ClassVar[Any] = SentMessage


class _SendDice(_Lean, SendDice):
    __returning__: ClassVar[Any] = SentMessage


class _SendLocation(_Lean, SendLocation):
    __returning__: ClassVar[Any] = SentMessage


class _SendVenue(_Lean, SendVenue):
    __returning__: ClassVar[Any] = SentMessage


class _SendContact(_Lean, SendContact):
    __returning__: ClassVar[Any] = SentMessage


# Telegram answers copyMessage with a MessageId, whose only field SentMessage keeps.
class _CopyMessage(_Lean, CopyMessage):
    __returning__: ClassVar[Any] = SentMessage


def _sent(answer: object) -> SentMessage:
    """The answer to a _Lean method: aiogram types it by the base method (Message), but
    `__returning__` makes aiogram parse it as a SentMessage."""
    assert isinstance(answer, SentMessage)
    return answer


MEDIA_METHODS: dict[str, Any] = {
    "photo": (_SendPhoto, "photo"),
    "video": (_SendVideo, "video"),
    "document": (_SendDocument, "document"),
    "animation": (_SendAnimation, "animation"),
}
# The same lean methods by their Bot API names (for policies that name the method).
LEAN_METHODS: dict[str, type[TelegramMethod[Any]]] = {
    "sendMessage": _SendMessage,
    "sendPhoto": _SendPhoto,
    "sendVideo": _SendVideo,
    "sendDocument": _SendDocument,
    "sendAnimation": _SendAnimation,
    "sendAudio": _SendAudio,
    "sendDice": _SendDice,
    "sendLocation": _SendLocation,
    "sendVenue": _SendVenue,
    "sendContact": _SendContact,
    "copyMessage": _CopyMessage,
}


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

    @cached_property
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
) -> SentMessage:
    """Send one personalised message; raises aiogram's exceptions on refusal."""
    text = content.text
    if text and content.personalised:
        text = render(text, values_for(recipient or {}), content.parse_mode)
    common: dict[str, Any] = {"chat_id": chat_id, "parse_mode": content.parse_mode}
    if content.buttons:
        common["reply_markup"] = keyboard(content, delivery_id)
    if paid:
        common["allow_paid_broadcast"] = True
    media = MEDIA_METHODS.get(content.media_type or "")
    if media is not None:
        method, field_name = media
        return _sent(await bot(method(**common, **{field_name: content.media or ""}, caption=text)))
    message = await bot(_SendMessage(**common, text=text or ""))
    return _sent(message)
