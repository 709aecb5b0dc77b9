"""What the bot's screens know beyond the REST API's: the groups and channels the bot
administers (learnt from my_chat_member updates) and the campaign card's type figures.

Telegram has no "list my chats" method: the bot remembers each chat it is added to, promoted
or demoted in, or removed from, so the wizard can offer the chats it may invite people into.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ValidationError

from core.campaign_types.base import UnknownCampaignType
from core.campaign_types.registry import policy_for
from core.chat_access import ChatRef
from core.uow import UnitOfWork
from storage.models import Campaign
from storage.repositories.bot_chats import BotChatRepository


class ChatKind(StrEnum):
    """The kinds of chat the bot's standing is tracked in (private chats are subscribers)."""

    GROUP = "group"
    SUPERGROUP = "supergroup"
    CHANNEL = "channel"


class BotStanding(StrEnum):
    """The bot's ChatMemberStatus in a chat, as Telegram names it."""

    CREATOR = "creator"
    ADMINISTRATOR = "administrator"
    MEMBER = "member"
    RESTRICTED = "restricted"
    LEFT = "left"
    KICKED = "kicked"


@dataclass(frozen=True)
class ChatStanding:
    """What one my_chat_member update says about the bot in a group or channel."""

    chat_id: int
    kind: ChatKind
    title: str | None
    username: str | None
    standing: BotStanding
    can_invite_users: bool

    @property
    def may_invite(self) -> bool:
        """Whether the bot may create invite links there."""
        if self.standing is BotStanding.CREATOR:
            return True
        return self.standing is BotStanding.ADMINISTRATOR and self.can_invite_users


async def record_standing(uow: UnitOfWork, tenant_id: int, seen: ChatStanding) -> None:
    """Remember the bot's standing in a chat (the caller commits)."""
    await BotChatRepository(uow.session).save(
        tenant_id,
        seen.chat_id,
        type_=seen.kind.value,
        title=seen.title,
        username=seen.username,
        status=seen.standing.value,
        can_invite_users=seen.may_invite,
        now=uow.clock(),
    )


async def invitable_chats(uow: UnitOfWork, tenant_id: int) -> list[ChatRef]:
    """The chats the bot administers with the right to invite users, by title."""
    rows = await BotChatRepository(uow.session).invitable(tenant_id)
    return [ChatRef(id=r.chat_id, type=r.type, title=r.title, username=r.username) for r in rows]


def chat_label(chat: ChatRef) -> str:
    """How a chat is named on a button: its title, else @username, else its id."""
    if chat.title:
        return chat.title
    return f"@{chat.username}" if chat.username else str(chat.id)


async def type_figures(uow: UnitOfWork, campaign: Campaign) -> BaseModel | None:
    """The campaign type's own figures for the bot's card (join rate, answers, participants);
    None when the type has none or its stored settings no longer parse."""
    try:
        return await policy_for(campaign.type).figures(uow, campaign, None)
    except (UnknownCampaignType, ValidationError):
        return None
