"""setWebhook pushes updates (with the secret header, retries) to an HTTP receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramConflictError
from aiogram.filters import CommandStart
from aiogram.types import Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from tests.emulator.conftest import user_ids


class Receiver:
    """A webhook endpoint that records requests and can fail the first N of them."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.requests: list[dict[str, Any]] = []
        self.app = web.Application()
        self.app.router.add_post("/hook", self.handle)
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append({"headers": dict(request.headers), "json": await request.json()})
        if self.failures:
            self.failures -= 1
            return web.Response(status=500)
        return web.json_response({})

    @property
    def delivered(self) -> list[dict[str, Any]]:
        return [r["json"] for r in self.requests]


async def _serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/hook"


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    runner, hook.url = await _serve(hook.app)
    yield hook
    await runner.cleanup()


async def test_updates_are_pushed_with_the_secret_header(emu, bot, receiver):
    assert await bot.set_webhook(receiver.url, secret_token="s3cr3t-Token_1") is True
    uid = user_ids(emu)[0]
    await emu.user_sends(uid, "/start")
    await emu.user_sends(uid, "second")

    await emu.wait_until(lambda: len(receiver.requests) == 2)
    first, second = receiver.requests
    assert first["headers"]["X-Telegram-Bot-Api-Secret-Token"] == "s3cr3t-Token_1"
    assert first["json"]["message"]["text"] == "/start"
    assert second["json"]["update_id"] == first["json"]["update_id"] + 1
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0


async def test_get_updates_conflicts_while_a_webhook_is_set(bot, receiver):
    await bot.set_webhook(receiver.url)
    with pytest.raises(TelegramConflictError, match="can't use getUpdates method while webhook"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == []


async def test_failed_pushes_are_retried_with_backoff(emu, bot, receiver):
    await emu.update_config(webhook_backoff=0.02)
    receiver.failures = 2
    await bot.set_webhook(receiver.url)
    await emu.user_sends(user_ids(emu)[0], "retry me")

    await emu.wait_until(lambda: len(receiver.requests) == 3)
    assert len({r["json"]["update_id"] for r in receiver.requests}) == 1
    info = await bot.get_webhook_info()
    assert "500" in info.last_error_message
    assert info.pending_update_count == 0


async def test_updates_are_dropped_after_the_last_retry(emu, bot, receiver):
    await emu.update_config(webhook_backoff=0.01, webhook_retries=2)
    receiver.failures = 100
    await bot.set_webhook(receiver.url)
    uid = user_ids(emu)[0]
    await emu.user_sends(uid, "lost")
    await emu.user_sends(uid, "also lost")

    await emu.wait_until(lambda: len(receiver.requests) == 6)
    webhook = emu.bot_state(bot.token).webhook
    await emu.wait_until(lambda: webhook.dropped == 2)
    assert webhook.delivered == 0


async def test_delete_webhook_can_drop_pending_updates(emu, bot):
    await bot.set_webhook("http://127.0.0.1:9/unreachable")
    await emu.update_config(webhook_backoff=5.0)
    uid = user_ids(emu)[0]
    await emu.user_sends(uid, "pending")
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates(timeout=0) == []


async def test_methods_returned_in_the_webhook_reply_are_executed(emu, bot_factory, token):
    """An aiogram Dispatcher answering in the webhook response (handle_in_background=False)."""
    dispatcher = Dispatcher()

    @dispatcher.message(CommandStart())
    async def welcome(message: Message) -> Any:
        return message.answer(f"Welcome, {message.from_user.first_name}!")

    app_bot: Bot = bot_factory(token)
    app = web.Application()
    SimpleRequestHandler(dispatcher, app_bot, handle_in_background=False).register(app, "/hook")
    runner, url = await _serve(app)
    try:
        await app_bot.set_webhook(url)
        uid = user_ids(emu)[0]
        await emu.user_sends(uid, "/start")
        await emu.wait_until(lambda: emu.messages(uid))
    finally:
        await runner.cleanup()

    (reply,) = emu.messages(uid)
    assert reply.text == f"Welcome, {emu.state.world.users[uid].first_name}!"
    assert reply.method == "sendMessage"
