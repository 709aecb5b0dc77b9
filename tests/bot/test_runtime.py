"""The whole service in webhook mode (secret checked) and with Redis FSM storage."""

from __future__ import annotations

import asyncio
import socket
import uuid

import aiohttp
import pytest
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy import select

from bot.dispatcher import build_dispatcher
from core.config import Settings
from runtime import WEBHOOK_PATH, Service
from storage.models import Subscriber
from tests.bot.helpers import Person
from tests.conftest import service_bot
from tests.infra import REDIS_URL, redis_problem


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_accepts_only_the_secret(tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the service's own database is SQLite here; storage is covered elsewhere")
    port = free_port()
    settings = Settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}", http_port=port,
        emulator_port=0, emulator_users=0, webhook_url=f"http://127.0.0.1:{port}",
        webhook_secret="s3cret-token", admin_ids=[], api_token=None, bot_token=None,
    )  # fmt: skip
    service = Service(settings)
    await service.start()
    try:
        emu = service.emulator
        user = await emu.create_user(first_name="Web")
        await Person(emu, user.id).says("/start")  # pushed by the emulator with the secret
        url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "/start",
                  "chat": {"id": 4242, "type": "private"}, "from": {"id": 4242, "is_bot": False,
                  "first_name": "Eve"}, "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}  # fmt: skip
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=forged, headers=headers) as response:
                    assert response.status == 401
        async with service.core.uow() as uow:
            ids = set(await uow.session.scalars(select(Subscriber.telegram_id)))
        assert ids == {user.id}  # the forged update was never processed
    finally:
        await service.stop()


async def test_settings_refuse_a_webhook_without_secret():
    with pytest.raises(ValueError, match="WEBHOOK_SECRET"):
        Settings(_env_file=None, webhook_url="https://bot.example.com")


async def test_wizard_state_survives_a_restart_with_redis(core, tenant, emu, backend):
    if backend != "sqlite":
        pytest.skip("one backend is enough for the FSM storage")
    problem = await redis_problem(REDIS_URL)  # the scaled-out path needs Redis
    if problem:
        pytest.skip(problem)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    await emu.create_user(id=111, first_name="Ada")
    ada = Person(emu, 111)
    bot = service_bot(emu)
    try:
        for step, (text, expected) in enumerate(
            (("/new", "name"), ("Kept across restarts", "kind"))
        ):
            storage = RedisStorage.from_url(REDIS_URL)
            storage.key_builder.prefix = prefix  # type: ignore[attr-defined]
            dispatcher = build_dispatcher(core, tenant.id, storage=storage)
            task = asyncio.create_task(
                dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1)
            )
            try:
                await emu.wait_until(lambda: emu.state.bots, within=10)
                if step == 0:
                    await ada.says("/start", expect=2)
                answer = await ada.says(text)
                assert expected in answer[0].text
            finally:
                await dispatcher.stop_polling()
                await task
                await storage.close()
    finally:
        await bot.session.close()
