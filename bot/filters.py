"""Who may use admin features (Telegram user ids from ADMIN_IDS); what is not a command."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import BaseFilter
from aiogram.types import CallbackQuery, Message


class IsAdmin(BaseFilter):
    """Passes for updates from an admin; everyone else never reaches admin handlers."""

    async def __call__(self, event: Message | CallbackQuery, admin_ids: frozenset[int]) -> bool:
        user = event.from_user
        return user is not None and user.id in admin_ids


# A typed answer that is really a command (/start, /menu@bot…) goes to that command's handler.
NOT_A_COMMAND = ~F.text.regexp(r"^/\w+(@\w+)?(\s|$)")
