"""Live progress: one message per admin who started a send, edited at most every 3 seconds."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from html import escape

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError

from bot.views import progress_text
from core.context import CoreContext
from core.events import DomainEvent
from core.lifecycle import EXECUTION_ENDED, ExecutionStatus, PauseReason
from core.statistics import campaign_progress
from storage.repositories.campaigns import CampaignRepository

log = logging.getLogger(__name__)


class ProgressReporter:
    """Follows executions started from the bot and keeps the admin's message current."""

    def __init__(self, core: CoreContext, bot: Bot, *, interval: float = 3.0) -> None:
        self.core = core
        self.bot = bot
        self.interval = interval
        self._tasks: set[asyncio.Task[None]] = set()
        core.bus.subscribe("campaign.started", self.on_started)

    async def on_started(self, event: DomainEvent) -> None:
        """A send started by an admin in the bot gets a live progress message for that admin."""
        if event.campaign_id is not None and event.actor.startswith("bot:"):
            self.track(event.campaign_id, int(event.actor.split(":", 1)[1]))

    def track(self, campaign_id: int, chat_id: int) -> None:
        """Start following the campaign's newest execution for this chat."""
        task = asyncio.create_task(self._follow(campaign_id, chat_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Stop following (shutdown)."""
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _snapshot(self, campaign_id: int) -> tuple[str, str, bool]:
        async with self.core.uow() as uow:
            campaign = await CampaignRepository(uow.session).by_id(campaign_id)
            if campaign is None:
                return "", "The campaign was deleted.", True
            p = await campaign_progress(uow, campaign, self.core.send_rate)
        eta = f"{p.estimated_completion:%H:%M:%S} UTC" if p.estimated_completion else "—"
        done = p.status in EXECUTION_ENDED
        text = progress_text(
            campaign.name, p.percentage, p.counts.get("sent", 0), p.counts.get("failed", 0),
            p.total, p.current_rate, eta,
        )  # fmt: skip
        if p.pause_reason == PauseReason.BUDGET_EXHAUSTED and p.status == ExecutionStatus.PAUSED:
            text += "\n\n⏸ <b>Paused: budget exhausted</b> · raise the budget, then resume"
        if done:
            unknown = p.counts.get("unknown", 0)
            text += f"\n\n<b>{p.status.capitalize()}</b>"
            if unknown:
                text += f" · {unknown} outcome unknown (listed in the API, resend deliberately)"
            errors = escape(", ".join(f"{e.code} {e.count}" for e in p.errors[:4]))
            if errors:
                text += f"\nErrors: {errors}"
        return campaign.name, text, done

    async def _follow(self, campaign_id: int, chat_id: int) -> None:
        try:
            _, text, done = await self._snapshot(campaign_id)
            message = await self.bot.send_message(chat_id, text)
            shown = text
            while not done:
                await asyncio.sleep(self.interval)
                _, text, done = await self._snapshot(campaign_id)
                if text != shown:
                    with contextlib.suppress(TelegramAPIError):
                        await self.bot.edit_message_text(
                            text, chat_id=chat_id, message_id=message.message_id
                        )
                    shown = text
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("progress reporting for campaign %s failed", campaign_id)
