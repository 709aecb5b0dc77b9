"""The `/telegram/webhook` route: Telegram's pushed updates, checked before the bot sees them."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web
from pydantic import ValidationError

from api.envelope import fail

log = logging.getLogger(__name__)
# How long updates being handled at shutdown may take to finish before they are cancelled.
SHUTDOWN_GRACE_SECONDS = 5.0


async def drain(tasks: set[asyncio.Task[Any]], grace: float = SHUTDOWN_GRACE_SECONDS) -> None:
    """Let in-flight update handlers finish for up to `grace` seconds, then cancel the rest.

    Left running, they would outlive the Bot API session and each log a connection error.
    """
    pending = set(tasks)
    if pending:
        _, pending = await asyncio.wait(pending, timeout=grace)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


class CheckedRequestHandler(SimpleRequestHandler):
    """aiogram's handler, but a body that is not an Update answers 400 instead of a 500.

    The stock handler parses the body inside the route (malformed JSON escapes as a 500) and
    validates it inside a background task (an invalid Update dies there as "Task exception
    was never retrieved", its pydantic message quoting the body into the log). Here both
    happen before the 200, and a handler failure in the background is logged like polling does.
    """

    async def handle(self, request: web.Request) -> web.Response:
        """401 without the secret, 400 for a body that is not an Update, else 200 at once."""
        bot = await self.resolve_bot(request)
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), bot):
            return web.Response(body="Unauthorized", status=401)
        try:
            payload = await request.json(loads=bot.session.json_loads)
        except ValueError:
            log.warning("webhook: refused a body that is not JSON")
            return fail(400, "MALFORMED_JSON", "The body is not valid JSON.")
        try:
            update = Update.model_validate(payload, context={"bot": bot})
        except ValidationError as error:
            # Only the count: the messages quote the body, which holds a person's data.
            count = error.error_count()
            log.warning("webhook: refused a body that is not an Update (%d errors)", count)
            return fail(400, "INVALID_UPDATE", "The body is not a Telegram Update object.")
        task = asyncio.create_task(self._feed(bot, update))
        self._background_feed_update_tasks.add(task)
        task.add_done_callback(self._background_feed_update_tasks.discard)
        return web.json_response({}, dumps=bot.session.json_dumps)

    __call__ = handle

    async def close(self) -> None:
        """At shutdown: finish (or cancel) the updates still being handled, then the session."""
        await drain(self._background_feed_update_tasks)
        await super().close()

    async def _feed(self, bot: Bot, update: Update) -> None:
        try:
            result: Any = await self.dispatcher.feed_update(bot, update, **self.data)
            if isinstance(result, TelegramMethod):
                await self.dispatcher.silent_call_request(bot=bot, result=result)
        except Exception:
            log.exception("webhook: handling update %s failed", update.update_id)
