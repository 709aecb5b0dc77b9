"""Joins through invitation campaigns' links (chat_member) and their join requests."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import JOIN_TRANSITION, ChatMemberUpdatedFilter
from aiogram.types import ChatInviteLink, ChatJoinRequest, ChatMemberUpdated

from core.invitations import JoinDecision, LinkUse, decide_join_request, record_join
from core.uow import UnitOfWork

log = logging.getLogger(__name__)


def _use(link: ChatInviteLink, bot: Bot, user_id: int) -> LinkUse:
    return LinkUse(
        url=link.invite_link,
        name=link.name,
        creator_id=link.creator.id,
        bot_id=bot.id,
        user_id=user_id,
    )


async def member_joined(update: ChatMemberUpdated, uow: UnitOfWork, bot: Bot) -> None:
    """Count a join through a campaign's invite link as that delivery's conversion."""
    if update.invite_link is None:
        return
    use = _use(update.invite_link, bot, update.new_chat_member.user.id)
    # A join through a join-request link (its request approved); via_join_request is set only
    # for requests approved without an invite link, so the link's own flag says it here.
    via_request = bool(update.invite_link.creates_join_request or update.via_join_request)
    if await record_join(uow, use, via_request=via_request):
        await uow.commit()


async def join_requested(request: ChatJoinRequest, uow: UnitOfWork, bot: Bot) -> None:
    """Approve or decline a join request through a campaign's link (see core.invitations)."""
    if request.invite_link is None:
        return
    decision = await decide_join_request(uow, _use(request.invite_link, bot, request.from_user.id))
    try:
        if decision is JoinDecision.APPROVE:
            await request.approve()
        elif decision is JoinDecision.DECLINE:
            await request.decline()
    except TelegramBadRequest as exc:  # already decided (by an admin), or already a member
        log.info("join request of %s not %sd: %s", request.from_user.id, decision, exc.message)


def build_router() -> Router:
    """A fresh router for invitation joins and join requests."""
    router = Router(name="invitations")
    router.chat_member.register(member_joined, ChatMemberUpdatedFilter(JOIN_TRANSITION))
    router.chat_join_request.register(join_requested)
    return router
