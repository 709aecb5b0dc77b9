"""The bot's own membership in groups and channels (my_chat_member), remembered for pickers."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import ChatMemberUpdated

from core.bot_chats import BotStanding, ChatKind, ChatStanding, record_standing
from core.uow import UnitOfWork

TRACKED = frozenset(kind.value for kind in ChatKind)


def standing_of(update: ChatMemberUpdated) -> ChatStanding:
    """The bot's new standing in the update's chat."""
    member = update.new_chat_member
    chat = update.chat
    return ChatStanding(
        chat_id=chat.id,
        kind=ChatKind(chat.type),
        title=chat.title,
        username=chat.username,
        standing=BotStanding(member.status),
        can_invite_users=bool(getattr(member, "can_invite_users", False)),
    )


async def bot_membership_changed(
    update: ChatMemberUpdated, uow: UnitOfWork, tenant_id: int
) -> None:
    """The bot was added, promoted, demoted or removed in a group or channel."""
    await record_standing(uow, tenant_id, standing_of(update))
    await uow.commit()


def build_router() -> Router:
    """A fresh router for the bot's membership in groups and channels."""
    router = Router(name="bot_chats")
    router.my_chat_member.register(bot_membership_changed, F.chat.type.in_(TRACKED))
    return router
