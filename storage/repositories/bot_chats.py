"""The groups and channels the bot is in: one row per (tenant, chat), kept current."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models_chats import BotChat

# The bot's statuses in which it administers a chat.
ADMIN_STATUSES = ("creator", "administrator")


class BotChatRepository:
    """Queries of bot_chats."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, tenant_id: int, chat_id: int) -> BotChat | None:
        """The row of one chat, if the bot was ever seen there."""
        return await self.session.scalar(
            select(BotChat).where(BotChat.tenant_id == tenant_id, BotChat.chat_id == chat_id)
        )

    async def save(
        self,
        tenant_id: int,
        chat_id: int,
        *,
        type_: str,
        title: str | None,
        username: str | None,
        status: str,
        can_invite_users: bool,
        now: datetime,
    ) -> BotChat:
        """Insert or update the chat's row with the bot's standing as of `now`."""
        row = await self.get(tenant_id, chat_id)
        if row is None:
            row = BotChat(tenant_id=tenant_id, chat_id=chat_id)
            self.session.add(row)
        row.type, row.title, row.username = type_, title, username
        row.status, row.can_invite_users, row.updated_at = status, can_invite_users, now
        await self.session.flush()
        return row

    async def invitable(self, tenant_id: int, limit: int = 50) -> Sequence[BotChat]:
        """Chats the bot administers with the right to invite users, by title."""
        rows = await self.session.scalars(
            select(BotChat)
            .where(
                BotChat.tenant_id == tenant_id,
                BotChat.status.in_(ADMIN_STATUSES),
                BotChat.can_invite_users.is_(True),
            )
            .order_by(BotChat.title, BotChat.chat_id)
            .limit(limit)
        )
        return rows.all()
