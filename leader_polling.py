"""Polling mode: only the scheduling leader calls getUpdates; a new leader takes over."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiogram import Bot, Dispatcher

from telegram_webhook import drain

log = logging.getLogger("tg_campaigns")
# How soon a process that lost the lead stops polling (the new leader's first getUpdates
# meanwhile ends the old one's with 409 Conflict, which aiogram retries after a backoff).
CHECK_SECONDS = 1.0


class LeaderPoller:
    """Runs the dispatcher's long polling while `leading` is set, stops it when cleared."""

    def __init__(
        self,
        dispatcher: Dispatcher,
        bot: Bot,
        leading: asyncio.Event,
        *,
        check_seconds: float = CHECK_SECONDS,
        polling_timeout: int = 10,
    ) -> None:
        self.dispatcher = dispatcher
        self.bot = bot
        self.leading = leading
        self.check_seconds = check_seconds
        self.polling_timeout = polling_timeout
        self.polling = asyncio.Event()  # set while this process polls
        self.turns = 0  # how many times it started polling
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin following leadership."""
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        """Stop polling (letting handled updates finish) and stop following."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _follow(self) -> None:
        while True:
            await self.leading.wait()
            try:
                await self._poll_while_leading()
            except Exception:
                log.exception("Telegram polling failed; retrying while this process leads")
            if self.leading.is_set():
                await asyncio.sleep(self.check_seconds)  # not a hot loop on a failing API

    async def _poll_while_leading(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        task = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,  # the bot also sends notices; the stack closes it
                polling_timeout=self.polling_timeout,
            )
        )
        self.turns += 1
        self.polling.set()
        log.info("polling Telegram for updates (this process leads)")
        try:
            # An asyncio.Event cannot be awaited for clearing: look at it every check_seconds.
            while self.leading.is_set() and not task.done():
                await asyncio.wait({task}, timeout=self.check_seconds)
        finally:
            self.polling.clear()
            await self._stop_polling(task)
        if not self.leading.is_set():
            log.info("stopped polling Telegram: this process no longer leads")

    async def _stop_polling(self, task: asyncio.Task[None]) -> None:
        try:
            await self.dispatcher.stop_polling()
        except RuntimeError:  # polling had not begun yet, or has ended
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        # Polling hands each update to its own task and does not wait for them.
        await drain(self.dispatcher._handle_update_tasks)
