"""Invitation campaigns after the send: joins counted as conversions, join requests decided,
and links revoked when the campaign is over."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

from core.campaign_types.invitation import delivery_of_name
from core.context import CoreContext
from core.conversions import ConvertedDelivery, record_conversion
from core.delivery.content import content_for
from core.events import DomainEvent
from core.lifecycle import Status
from core.models import CampaignType
from core.uow import UnitOfWork
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.invitations import InvitationRepository, InviteDelivery

log = logging.getLogger(__name__)
REVOKED_ON = ("campaign.cancelled", "campaign.completed")


@dataclass(frozen=True)
class LinkUse:
    """An invite link as a chat_member or chat_join_request update shows it."""

    url: str
    name: str | None
    creator_id: int | None
    bot_id: int
    user_id: int


class JoinDecision(StrEnum):
    """What the bot does with a join request through a campaign's link."""

    APPROVE = "approve"
    DECLINE = "decline"
    NOT_OURS = "not_ours"  # not a link of an invitation campaign


async def _delivery(uow: UnitOfWork, use: LinkUse) -> InviteDelivery | None:
    """The delivery whose link was used: by its URL, else by the name the bot gave it."""
    repo = InvitationRepository(uow.session)
    found = await repo.by_link(use.url)
    if found is None and use.creator_id == use.bot_id:
        delivery_id = delivery_of_name(use.name)
        found = await repo.by_id(delivery_id) if delivery_id is not None else None
    return found


def _join_button(delivery: InviteDelivery) -> int:
    content = content_for(delivery.messages or delivery.campaign_messages or [], delivery.variation)
    return sum(len(row) for row in content.buttons)


def _ended(uow: UnitOfWork, delivery: InviteDelivery) -> bool:
    return delivery.ends_at is not None and delivery.ends_at <= uow.clock()


async def record_join(uow: UnitOfWork, use: LinkUse, *, via_request: bool = False) -> bool:
    """Count a join through a campaign's link as that delivery's conversion (once per
    delivery, test sends never); True if it was counted."""
    delivery = await _delivery(uow, use)
    if delivery is None or delivery.test_mode:
        return False
    repo = InvitationRepository(uow.session)
    # Two joins through one link (a join-request link, someone leaving and coming back)
    # are told apart under the delivery's lock, taken with a write on both databases.
    await repo.lock(delivery.delivery_id)
    if await repo.converted(delivery.delivery_id):
        return False
    details = {
        # The Join button's index (it follows the message's own buttons), as a click's is.
        "button": _join_button(delivery),
        "telegramUserId": use.user_id,
        "byRecipient": use.user_id == delivery.telegram_id,
        "viaJoinRequest": via_request,
    }
    converted = ConvertedDelivery(
        delivery.tenant_id, delivery.campaign_id, delivery.delivery_id, delivery.subscriber_id
    )
    await record_conversion(
        uow, converted, actor=f"telegram:{use.user_id}", via="invite_link", details=details
    )
    return True


async def decide_join_request(uow: UnitOfWork, use: LinkUse) -> JoinDecision:
    """Approve the recipient's own request; decline one through a passed-on link, or after a
    cancel or the endDate. A paused or failed campaign's request is approved too: the invite
    was sent, and Telegram offers the bot no way to find a request left pending later."""
    delivery = await _delivery(uow, use)
    if delivery is None:
        return JoinDecision.NOT_OURS
    if use.user_id != delivery.telegram_id or _ended(uow, delivery):
        return JoinDecision.DECLINE
    if delivery.campaign_status == Status.CANCELLED and not delivery.test_mode:
        return JoinDecision.DECLINE
    return JoinDecision.APPROVE


class LinkRevoker:
    """Revokes an invitation campaign's links once it is cancelled, or completes after its
    endDate, in a task of its own: publishing the event never waits for Telegram."""

    def __init__(
        self,
        core: CoreContext,
        bot: Bot,
        *,
        settle: float = 60.0,
        poll: float = 0.5,
        max_retry_after: float = 30.0,
    ) -> None:
        self.core = core
        self.bot = bot
        self.settle = settle
        self.poll = poll
        self.max_retry_after = max_retry_after
        self.tasks: set[asyncio.Task[int]] = set()
        for name in REVOKED_ON:
            core.bus.subscribe(name, self.on_campaign)

    async def on_campaign(self, event: DomainEvent) -> None:
        """Start revoking the campaign's links (if it is an invitation that is over)."""
        if event.campaign_id is None:
            return
        task = asyncio.create_task(self.revoke(event.campaign_id, event.name))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _links(self, campaign_id: int, event_name: str) -> tuple[Any, list[str], int]:
        """(target chat, the links stored so far, sends in flight) if the links are to go."""
        async with self.core.uow(read_only=True) as uow:
            campaign = await CampaignRepository(uow.session).by_id(campaign_id)
            if campaign is None or campaign.type != CampaignType.INVITATION:
                return None, [], 0
            over = event_name == "campaign.cancelled" or (
                campaign.end_date is not None and campaign.end_date <= uow.clock()
            )
            if not over:
                return None, [], 0  # completed: the links stay live until their expire_date
            repo = InvitationRepository(uow.session)
            chat = (campaign.settings or {}).get("targetChat")
            return chat, await repo.links(campaign_id), await repo.in_flight(campaign_id)

    async def revoke(self, campaign_id: int, event_name: str) -> int:
        """Revoke every link of the campaign; how many Telegram revoked (failures logged).

        Sends in flight when the campaign stopped store their links a moment later: they
        are waited for (up to `settle` seconds) and revoked too."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle
        done: set[str] = set()
        revoked = 0
        while True:
            chat, links, in_flight = await self._links(campaign_id, event_name)
            for url in links:
                if url not in done:
                    done.add(url)
                    revoked += await self._revoke_one(chat, url)
            if not in_flight or loop.time() >= deadline:
                break
            await asyncio.sleep(self.poll)
        if done:
            log.info("campaign %s: revoked %s of %s invite links", campaign_id, revoked, len(done))
        return revoked

    async def _revoke_one(self, chat: Any, url: str) -> int:
        for _ in range(3):
            try:
                await self.bot.revoke_chat_invite_link(chat, url)
                return 1
            except TelegramRetryAfter as exc:
                await asyncio.sleep(min(exc.retry_after, self.max_retry_after))
            except TelegramAPIError as exc:
                log.warning("could not revoke an invite link: %s", exc.message)
                return 0
        return 0

    async def stop(self) -> None:
        """Cancel revocations still running (they are idempotent; the rest stay live)."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
