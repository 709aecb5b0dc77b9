"""Whether the bot may invite people into a group or channel, asked of Telegram."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
)

from core.errors import DomainError, ValidationFailed
from core.models import CampaignType

FIELD = "settings.targetChat"


@dataclass(frozen=True)
class ChatRef:
    """A group or channel the bot administers with the right to invite users."""

    id: int
    type: str
    title: str | None
    username: str | None


class ChatAccessDenied(ValidationFailed):
    """The target chat is unknown to the bot, not a group, or the bot may not invite there."""

    def __init__(self, code: str, message: str, chat_ref: int | str) -> None:
        super().__init__(
            message,
            code=code,
            details=[{"field": FIELD, "message": message, "type": code.lower()}],
        )
        self.chat_ref = chat_ref


class ChatCheckUnavailable(DomainError):
    """Telegram could not be asked (no bot in this process, or the call failed): a 502."""

    code = "TELEGRAM_UNAVAILABLE"


def _refused(exc: TelegramAPIError) -> bool:
    """Whether Telegram answered about the chat itself (not a failure of the call)."""
    return isinstance(exc, TelegramBadRequest | TelegramForbiddenError | TelegramNotFound)


async def check_invite_rights(bot: Bot | None, chat_ref: int | str) -> ChatRef:
    """The chat `chat_ref` (id or @username) if the bot is its administrator with
    can_invite_users; ChatAccessDenied (a 400) if not, ChatCheckUnavailable if Telegram can't
    be asked."""
    if bot is None:
        raise ChatCheckUnavailable(
            "Cannot check the target chat: this process has no Telegram bot to ask."
        )
    try:
        chat = await bot.get_chat(chat_ref)
        if chat.type == ChatType.PRIVATE:
            raise ChatAccessDenied(
                "TARGET_CHAT_NOT_GROUP",
                f"targetChat {chat_ref} is a private chat, not a group or channel.",
                chat_ref,
            )
        member = await bot.get_chat_member(chat.id, bot.id)
    except TelegramAPIError as exc:
        if not _refused(exc):
            raise ChatCheckUnavailable(
                f"Cannot check the target chat: Telegram call failed ({exc.message})."
            ) from None
        if "not found" in exc.message.lower():
            raise ChatAccessDenied(
                "TARGET_CHAT_NOT_FOUND",
                f"The bot cannot see targetChat {chat_ref}: add the bot to it as an administrator.",
                chat_ref,
            ) from None
        raise ChatAccessDenied(
            "BOT_NOT_CHAT_ADMIN",
            f"The bot cannot manage targetChat {chat_ref} ({exc.message}).",
            chat_ref,
        ) from None
    if member.status == ChatMemberStatus.CREATOR:
        can_invite = True
    else:
        can_invite = member.status == ChatMemberStatus.ADMINISTRATOR and bool(
            getattr(member, "can_invite_users", False)
        )
    if not can_invite:
        raise ChatAccessDenied(
            "BOT_NOT_CHAT_ADMIN",
            f"The bot must be an administrator of targetChat {chat_ref} with the right to "
            "invite users (can_invite_users).",
            chat_ref,
        )
    return ChatRef(id=chat.id, type=chat.type, title=chat.title, username=chat.username)


# What core.campaigns asks before storing a campaign: (type, validated settings) -> None.
AccessCheck = Callable[[str, Mapping[str, Any] | None], Awaitable[None]]


def access_check(bot: Bot | None) -> AccessCheck:
    """The campaign check that asks Telegram through `bot` (None: this process has none)."""

    async def check(type_: str, settings: Mapping[str, Any] | None) -> None:
        if type_ == CampaignType.INVITATION and settings and "targetChat" in settings:
            await check_invite_rights(bot, settings["targetChat"])

    return check
