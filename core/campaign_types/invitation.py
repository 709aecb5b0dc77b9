"""The `invitation` type: each recipient gets the campaign's message with a personal invite
link into a group or channel (`targetChat`); joins through it are its conversions."""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
)
from pydantic import Field, ValidationError, field_validator

from core.campaign_types.base import NO_CONTEXT, DeliveryPolicy, RunContext, UpdateKind
from core.delivery.content import Content, SentMessage, content_for, send_content
from core.delivery.outcomes import NotSent, TargetChatUnavailable, Unsendable
from core.models import CamelModel
from storage.repositories.invitations import InvitationRepository

if TYPE_CHECKING:
    from pydantic import BaseModel

    from core.uow import UnitOfWork
    from storage.models import Campaign

# Telegram's limit on an invite link's name.
NAME_LIMIT = 32
_USERNAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
_DELIVERY_NAME = re.compile(r"(?:^|\s)d(\d+)$")


class InvalidInvitation(Unsendable):
    """A run of an invitation campaign whose stored settings are not valid."""


class InvitationSettings(CamelModel):
    """Where recipients are invited, and how."""

    # The group or channel: its id (negative) or its public @username.
    target_chat: int | str
    # Join-request links whose requests the bot approves, instead of single-use links.
    approval: bool = False
    # Put before `d<delivery id>` in each link's name (what admins see in the chat's links).
    link_name: str | None = Field(None, min_length=1, max_length=20)
    button_text: str = Field("Join", min_length=1, max_length=64)

    @field_validator("target_chat")
    @classmethod
    def _chat_ref(cls, value: int | str) -> int | str:
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)
        if isinstance(value, int):
            if value >= 0:
                raise ValueError("a group or channel id is negative (or give its @username)")
            return value
        if not _USERNAME.fullmatch(value):
            raise ValueError("a chat id or a public @username")
        return value


class InvitationFigures(CamelModel):
    """An invitation campaign's own statistics (`typeStatistics`)."""

    invited: int  # links sent (real runs)
    joined: int  # recipients' links someone joined through
    join_rate: float  # joined / invited, %


def link_name(prefix: str | None, delivery_id: int) -> str:
    """The invite link's name: `[prefix ]d<delivery id>`, within Telegram's 32 characters."""
    suffix = f"d{delivery_id}"
    if not prefix:
        return suffix
    return f"{prefix[: NAME_LIMIT - len(suffix) - 1]} {suffix}"


def delivery_of_name(name: str | None) -> int | None:
    """The delivery id a link name made by `link_name` carries (None if it carries none)."""
    match = _DELIVERY_NAME.search(name or "")
    return int(match[1]) if match else None


@dataclass(frozen=True)
class Invitation:
    """One variant of the message and where its link leads."""

    content: Content
    # None: the stored settings are not valid ones (a row older than the type's checks).
    settings: InvitationSettings | None
    expire_date: int | None

    @cached_property
    def personalised(self) -> bool:
        """Whether sending needs the recipient's data."""
        return self.content.personalised


async def create_link(bot: Bot, settings: InvitationSettings, name: str, expire: int | None) -> str:
    """A new invite link into the target chat; TargetChatUnavailable when that chat refuses
    (the whole run's problem), NotSent when the call failed on the network."""
    chat = settings.target_chat
    try:
        link = await bot.create_chat_invite_link(
            chat_id=chat,
            name=name,
            expire_date=expire,
            member_limit=None if settings.approval else 1,
            creates_join_request=True if settings.approval else None,
        )
    except TelegramMigrateToChat as exc:
        raise TargetChatUnavailable(
            f"targetChat {chat} was upgraded to the supergroup {exc.migrate_to_chat_id}: "
            "set that id as the campaign's targetChat"
        ) from None
    except (TelegramBadRequest, TelegramForbiddenError, TelegramNotFound) as exc:
        raise TargetChatUnavailable(
            f"cannot create invite links in targetChat {chat}: {exc.message}"
        ) from None
    except TelegramNetworkError as exc:
        # Nothing reached the recipient yet: a retry is safe (an orphan link may remain).
        raise NotSent(f"createChatInviteLink failed: {exc.message}") from None
    return link.invite_link


def _expiry(ends_at: datetime | None) -> int | None:
    return int(ends_at.timestamp()) if ends_at is not None else None


class InvitationPolicy(DeliveryPolicy[Invitation]):
    """createChatInviteLink per recipient (single use, or a join request the bot approves),
    then the message with a URL button to it; joins are tracked from chat_member updates."""

    name: ClassVar[str] = "invitation"
    listens_to: ClassVar[frozenset[UpdateKind]] = frozenset(
        {UpdateKind.BUTTON_CLICK, UpdateKind.CHAT_MEMBER, UpdateKind.JOIN_REQUEST}
    )
    converts_on: ClassVar[frozenset[UpdateKind]] = frozenset({UpdateKind.CHAT_MEMBER})
    settings_model: ClassVar[type[BaseModel] | None] = InvitationSettings

    def prepare(
        self, messages: list[dict[str, Any]], variation: int, context: RunContext = NO_CONTEXT
    ) -> Invitation:
        """The message variant, the parsed settings and the links' expiry (the endDate)."""
        try:
            settings: InvitationSettings | None = InvitationSettings.model_validate(
                dict(context.settings)
            )
        except ValidationError:
            # Not raised here: the engine prepares inside its send loop; each send refuses.
            settings = None
        return Invitation(content_for(messages, variation), settings, _expiry(context.ends_at))

    async def send(
        self,
        bot: Bot,
        chat_id: int,
        content: Invitation,
        *,
        delivery_id: int,
        recipient: dict[str, Any] | None,
        paid: bool,
    ) -> SentMessage:
        """Create the recipient's link, then send the message with a button to it."""
        settings = content.settings
        if settings is None:
            raise InvalidInvitation("the campaign's settings name no valid targetChat")
        url = await create_link(
            bot, settings, link_name(settings.link_name, delivery_id), content.expire_date
        )
        join = ({"text": settings.button_text, "url": url},)
        # Appended, so the message's own callback buttons keep their indices.
        message = replace(content.content, buttons=(*content.content.buttons, join))
        try:
            sent = await send_content(
                bot, chat_id, message, delivery_id=delivery_id, recipient=recipient, paid=paid
            )
        except TelegramNetworkError:
            raise  # the message may have arrived: its link must keep working
        except TelegramAPIError:
            # Refused: nobody has the link, and a retry makes a new one.
            with suppress(TelegramAPIError):
                await bot.revoke_chat_invite_link(settings.target_chat, url)
            raise
        return SentMessage(message_id=sent.message_id, ref=url)

    async def figures(
        self, uow: UnitOfWork, campaign: Campaign, since: datetime | None
    ) -> BaseModel | None:
        """Invited (links sent), joined through them, and the join rate (%, one decimal)."""
        invited, joined = await InvitationRepository(uow.session).figures(campaign.id, since)
        rate = round(100.0 * joined / invited, 1) if invited else 0.0
        return InvitationFigures(invited=invited, joined=joined, join_rate=rate)
