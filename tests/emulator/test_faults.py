"""Fault injection: 5xx answers, latency, hanging requests, method filters."""

from __future__ import annotations

import time

import aiohttp
import pytest
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError, TelegramServerError

from tests.emulator.conftest import user_ids


async def test_every_request_fails_with_5xx_at_rate_one(emu, bot):
    await emu.set_faults(error_rate=1.0, error_codes=[500])
    with pytest.raises(TelegramServerError, match="Internal Server Error"):
        await bot.get_me()
    await emu.set_faults(error_codes=[502])
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(user_ids(emu)[0], "x")

    stats = emu.stats()["bots"][bot.token]
    assert stats["injected"] == {"500": 1, "502": 1}
    assert stats["accepted"] == 0 and emu.messages(user_ids(emu)[0]) == []


async def test_partial_error_rate_is_seeded(emu, bot):
    await emu.set_faults(error_rate=0.3)
    failures = 0
    for _ in range(100):
        try:
            await bot.get_me()
        except TelegramServerError:
            failures += 1
    assert 15 <= failures <= 45
    assert sum(emu.stats()["bots"][bot.token]["injected"].values()) == failures


async def test_nginx_style_html_502(emu, bot):
    await emu.set_faults(error_rate=1.0, error_codes=[502], html_502=True)
    with pytest.raises(ClientDecodeError):
        await bot.get_me()


async def test_latency_is_added(emu, bot):
    await emu.set_faults(latency_ms=150, jitter_ms=50)
    started = time.monotonic()
    await bot.get_me()
    assert 0.15 <= time.monotonic() - started < 1.0


async def test_hang_past_the_client_timeout_is_a_network_error(emu, bot_factory):
    bot = bot_factory(timeout=0.3)
    await emu.set_faults(hang_rate=1.0, hang_seconds=5, methods=["sendMessage"])
    await bot.get_me()  # other methods are unaffected
    uid = user_ids(emu)[0]

    with pytest.raises(TelegramNetworkError, match="Request timeout error"):
        await bot.send_message(uid, "never answered")
    assert emu.messages(uid) == []  # hung before processing: not delivered


async def test_hang_after_processing_delivers_but_loses_the_answer(emu, bot_factory):
    bot = bot_factory(timeout=0.3)
    await emu.set_faults(hang_rate=1.0, hang_seconds=5, hang_after_processing=True)
    uid = user_ids(emu)[0]
    with pytest.raises(TelegramNetworkError):
        await bot.send_message(uid, "delivered twice?")
    assert [r.text for r in emu.messages(uid)] == ["delivered twice?"]


async def test_clearing_faults_restores_service(emu, bot):
    await emu.set_faults(error_rate=1.0)
    with pytest.raises(TelegramServerError):
        await bot.get_me()
    await emu.clear_faults()
    assert (await bot.get_me()).is_bot


async def test_faults_via_the_control_api(emu, bot):
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{emu.base_url}/_emulator/faults", json={"error_rate": 1.0, "methods": ["getMe"]}
        ) as response:
            assert (await response.json())["active"] is True
        with pytest.raises(TelegramServerError):
            await bot.get_me()
        await bot.get_updates(timeout=0)
        async with http.delete(f"{emu.base_url}/_emulator/faults") as response:
            assert (await response.json())["active"] is False
        async with http.post(
            f"{emu.base_url}/_emulator/faults", json={"error_rate": 2}
        ) as response:
            assert response.status == 400
    assert (await bot.get_me()).is_bot
