"""Flood limits: bot-wide 30/s, paid 1000/s budget, 1/s per private chat, 20/min per group."""

from __future__ import annotations

import asyncio

import pytest
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import InputMediaPhoto

from emulator.testing import FakeClock
from tests.emulator.conftest import small_config, user_ids


async def test_burst_over_global_limit_gets_429_with_integer_retry_after(
    emulator_factory, bot_factory
):
    emu = await emulator_factory(users=45, blocked=0, deactivated=0)
    bot = bot_factory(server=emu)
    targets = user_ids(emu)[:40]

    results = await asyncio.gather(
        *(bot.send_message(uid, "promo") for uid in targets), return_exceptions=True
    )

    limited = [r for r in results if isinstance(r, TelegramRetryAfter)]
    assert len(limited) == 10
    assert all(isinstance(e.retry_after, int) and e.retry_after == 1 for e in limited)
    assert "Too Many Requests: retry after 1" in limited[0].message
    stats = emu.stats(bot.token)["bots"][bot.token]
    assert stats["accepted"] == 30
    assert stats["rate_limited_by_scope"] == {"global": 10}
    assert sum(len(emu.messages(uid)) for uid in targets) == 30


async def test_sends_spaced_exactly_at_the_limit_are_never_limited(emulator_factory, bot_factory):
    clock = FakeClock()
    emu = await emulator_factory(small_config(users=100, blocked=0, deactivated=0, clock=clock))
    bot = bot_factory(server=emu)

    for uid in user_ids(emu)[:90]:
        await bot.send_message(uid, "evenly spaced")
        clock.advance(1 / 30)

    stats = emu.stats()["totals"]
    assert stats == {"accepted": 90, "rate_limited": 0, "paid_messages": 0, "stars_spent": 0.0}
    assert emu.stats()["bots"][bot.token]["peak_in_window"] == 30


async def test_retry_after_is_the_ceiling_of_the_wait(emulator_factory, bot_factory):
    clock = FakeClock()
    config = small_config(users=40, blocked=0, deactivated=0, clock=clock, rate_window=5.0)
    emu = await emulator_factory(config)
    bot = bot_factory(server=emu)
    targets = user_ids(emu)
    for uid in targets[:30]:
        await bot.send_message(uid, "x")
    clock.advance(0.25)

    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(targets[30], "x")
    assert raised.value.retry_after == 5  # ceil(5 - 0.25)

    clock.advance(4.75)
    await bot.send_message(targets[30], "x")  # the window slid past the burst


async def test_real_time_sender_pacing_at_the_limit_sees_no_429(emulator_factory, bot_factory):
    emu = await emulator_factory(users=30, blocked=0, deactivated=0, global_rate=10)
    bot = bot_factory(server=emu)

    for uid in user_ids(emu)[:12]:
        await bot.send_message(uid, "paced")
        await asyncio.sleep(0.1)

    assert emu.stats()["totals"]["accepted"] == 12
    assert emu.stats()["totals"]["rate_limited"] == 0


async def test_paid_broadcast_has_its_own_budget_and_costs_stars(emulator_factory, bot_factory):
    clock = FakeClock()
    config = small_config(users=120, blocked=0, deactivated=0, clock=clock, paid_rate=50)
    emu = await emulator_factory(config)
    bot = bot_factory(server=emu)
    targets = user_ids(emu)

    for uid in targets[:30]:
        await bot.send_message(uid, "free")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(targets[30], "free")
    for uid in targets[30:80]:
        await bot.send_message(uid, "paid", allow_paid_broadcast=True)
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(targets[80], "paid", allow_paid_broadcast=True)

    stats = emu.stats()["bots"][bot.token]
    assert stats["accepted"] == 80
    assert stats["paid_messages"] == 50
    assert stats["stars_spent"] == pytest.approx(5.0)
    assert stats["rate_limited_by_scope"] == {"global": 1, "paid": 1}
    record = emu.messages(targets[30])[0]
    assert record.allow_paid_broadcast is True


async def test_private_chat_allows_one_message_per_second(emulator_factory, bot_factory):
    clock = FakeClock()
    emu = await emulator_factory(small_config(clock=clock))
    bot = bot_factory(server=emu)
    uid = user_ids(emu)[0]

    await bot.send_message(uid, "first")
    clock.advance(0.4)
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(uid, "too soon")
    assert raised.value.retry_after == 1
    clock.advance(0.6)
    await bot.send_message(uid, "one second later")

    assert [r.text for r in emu.messages(uid)] == ["first", "one second later"]
    assert emu.stats()["bots"][bot.token]["rate_limited_by_scope"] == {"chat": 1}


async def test_group_allows_twenty_messages_per_minute(emulator_factory, bot_factory):
    clock = FakeClock()
    emu = await emulator_factory(small_config(clock=clock))
    bot = bot_factory(server=emu)
    group = next(c.id for c in emu.state.world.chats.values() if c.type == "supergroup")

    for _ in range(20):
        await bot.send_message(group, "news")
        clock.advance(0.1)
    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(group, "one too many")

    assert raised.value.retry_after == 58  # the first send leaves the minute at t=60
    assert emu.stats()["bots"][bot.token]["rate_limited_by_scope"] == {"group": 1}


async def test_media_group_charges_one_global_slot_per_item(emulator_factory, bot_factory):
    clock = FakeClock()
    emu = await emulator_factory(small_config(clock=clock, global_rate=5))
    bot = bot_factory(server=emu)
    first, second = user_ids(emu)[:2]
    album = [InputMediaPhoto(media=f"https://example.com/{n}.jpg") for n in range(3)]

    sent = await bot.send_media_group(first, album)
    assert len(sent) == 3
    with pytest.raises(TelegramRetryAfter):
        await bot.send_media_group(second, album)  # 3 + 3 > 5
    await bot.send_message(second, "two slots remain")


async def test_edits_and_non_sends_are_not_rate_limited(emulator_factory, bot_factory):
    clock = FakeClock()
    emu = await emulator_factory(small_config(clock=clock))
    bot = bot_factory(server=emu)
    uid = user_ids(emu)[0]
    message = await bot.send_message(uid, "v0")

    for version in range(1, 40):
        await bot.edit_message_text(f"v{version}", chat_id=uid, message_id=message.message_id)
        await bot.get_me()

    assert emu.stats()["totals"]["rate_limited"] == 0
    assert len(emu.messages(uid)[0].edits) == 39


async def test_limits_can_be_changed_at_runtime(emu, bot):
    await emu.update_config(private_chat_rate=3)
    uid = user_ids(emu)[0]
    for _ in range(3):
        await bot.send_message(uid, "burst")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(uid, "fourth")
