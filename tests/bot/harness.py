"""The bot in-process: updates fed to the Dispatcher and awaited, Bot API calls run on the emulator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update

from core.delivery.pacing import TokenLimiter
from emulator.inprocess import CallSignal, in_process_bot
from emulator.testing import EmulatorServer

# Updates taken from the queue at once; the loop takes the next ones until it is empty.
BATCH = 100


@dataclass
class InProcessBot:
    """A dispatcher fed directly, the emulator it calls, and the signal of each answered call."""

    emu: EmulatorServer
    bot: Bot
    dispatcher: Dispatcher
    limiter: TokenLimiter
    signal: CallSignal

    async def deliver(self) -> int:
        """Hand every update the emulator queued for the bot to the dispatcher; awaits each.

        As polling would, a handler's returned method is called; unlike polling, an exception
        nobody handled fails the test instead of being logged.
        """
        queue = self.emu.bot_state(self.bot.token).updates
        handled = 0
        while batch := queue.peek(BATCH):
            queue.confirm(batch[-1]["update_id"] + 1)
            for raw in batch:
                update = Update.model_validate(raw, context={"bot": self.bot})
                response = await self.dispatcher.feed_update(self.bot, update, bots=[self.bot])
                if isinstance(response, TelegramMethod):
                    await self.dispatcher.silent_call_request(self.bot, response)
                handled += 1
        return handled

    async def settle(self, predicate: Callable[[], object], within: float = 10.0) -> None:
        """Deliver what is pending, then wait until `predicate` holds (re-checked per Bot API call).

        Handlers are done when `deliver` returns; the wait is for work they started beside
        them (live progress, the delivery engine, notices) and is bounded by `within` seconds.
        """
        await self.deliver()
        await self.signal.wait_for(predicate, within)

    def another_bot(self) -> Bot:
        """The same bot token with its own session (e.g. the sender's), also in-process."""
        return in_process_bot(self.emu.state, self.bot.token, self.signal)

    async def close(self) -> Any:
        """Close the bot's session."""
        await self.bot.session.close()
