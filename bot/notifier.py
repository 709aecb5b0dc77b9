"""Admins hear about scheduled runs that finish, any campaign that fails or runs out of budget,
and disabled webhooks."""

from __future__ import annotations

import logging
from html import escape

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.webhook_views import disabled_notice
from core.context import CoreContext
from core.events import DomainEvent
from core.lifecycle import PauseReason
from core.webhooks.attempts import ENDPOINT_DISABLED
from storage.models_scheduling import Schedule
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.schedules import ScheduleRepository

log = logging.getLogger(__name__)
SCHEDULED_TRIGGERS = ("schedule", "scheduled")


class AdminNotifier:
    """Sends short notices to every admin; a failing chat never stops the others."""

    def __init__(self, core: CoreContext, bot: Bot) -> None:
        self.core = core
        self.bot = bot
        core.bus.subscribe("execution.finished", self.on_finished)
        core.bus.subscribe(ENDPOINT_DISABLED, self.on_webhook_disabled)
        core.bus.subscribe("campaign.paused", self.on_paused)

    async def on_finished(self, event: DomainEvent) -> None:
        """Scheduled runs (unless their schedule turned completion notices off) and failures."""
        data = event.data
        failed = data.get("status") == "failed"
        if data.get("testMode") or event.actor.startswith("bot:"):
            return  # the admin who started it watches the live progress message
        if data.get("trigger") not in SCHEDULED_TRIGGERS and not failed:
            return
        async with self.core.uow() as uow:
            campaign = (
                await CampaignRepository(uow.session).by_id(event.campaign_id)
                if event.campaign_id is not None
                else None
            )
            schedule = (
                await ScheduleRepository(uow.session).by_id(data["scheduleId"])
                if data.get("scheduleId")
                else None
            )
        if schedule is not None and not failed and not _wants_completion(schedule):
            return
        name = escape(campaign.name) if campaign else f"camp_{event.campaign_id}"
        if failed:
            reason = escape(str(data.get("reason") or "see the API for details"))
            text = f"⚠️ «{name}» failed: {reason}"
        else:
            text = (f"✅ Scheduled run of «{name}» completed: sent {data.get('sent', 0)}, "
                    f"failed {data.get('failed', 0)} of {data.get('total', 0)}.")  # fmt: skip
        await self._tell_admins(text)

    async def on_paused(self, event: DomainEvent) -> None:
        """A campaign the system paused because its budget cannot pay for the next message."""
        if event.data.get("reason") != PauseReason.BUDGET_EXHAUSTED:
            return  # a person paused it: they know
        async with self.core.uow() as uow:
            campaign = (
                await CampaignRepository(uow.session).by_id(event.campaign_id)
                if event.campaign_id is not None
                else None
            )
        if campaign is None:
            return
        budget = f"{campaign.budget or 0:g}"
        await self._tell_admins(
            f"⏸ «{escape(campaign.name)}» paused: budget exhausted "
            f"({campaign.cost or 0:.1f} of {budget} ⭐ spent, {campaign.sent_count} sent). "
            "Raise the budget, then resume."
        )

    async def on_webhook_disabled(self, event: DomainEvent) -> None:
        """An endpoint the service stopped sending to (410 Gone, or failing for a whole day)."""
        data = event.data
        await self._tell_admins(disabled_notice(data["webhookId"], data["url"], data["reason"]))

    async def _tell_admins(self, text: str) -> None:
        for admin_id in self.core.admin_ids:
            try:
                await self.bot.send_message(admin_id, text)
            except TelegramAPIError as exc:
                log.warning("could not notify admin %s: %s", admin_id, exc)


def _wants_completion(schedule: Schedule) -> bool:
    on_complete = (schedule.notifications or {}).get("onComplete")
    return on_complete is None or bool(on_complete.get("enabled", True))
