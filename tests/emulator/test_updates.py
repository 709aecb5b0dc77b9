"""getUpdates long polling with Telegram's offset, limit, timeout and allowed_updates rules."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiogram.exceptions import TelegramConflictError

from tests.emulator.conftest import user_ids


def _outsider(emu, group) -> int:
    """An active user who is not a member of `group`."""
    return next(uid for uid in user_ids(emu) if uid not in group.members)


async def test_updates_are_returned_until_confirmed_by_offset(emu, bot):
    await bot.get_me()
    first, second = user_ids(emu)[:2]
    await emu.user_sends(first, "/start promo42")
    await emu.user_sends(second, "hello")

    updates = await bot.get_updates()
    again = await bot.get_updates()
    assert [u.update_id for u in updates] == [u.update_id for u in again] == [1, 2]
    assert updates[0].message.text == "/start promo42"
    assert updates[0].message.entities[0].type == "bot_command"
    assert updates[0].message.entities[0].length == len("/start")
    assert updates[0].message.from_user.id == first

    remaining = await bot.get_updates(offset=updates[0].update_id + 1)
    assert [u.update_id for u in remaining] == [2]
    assert await bot.get_updates(offset=3, timeout=0) == []


async def test_limit_and_negative_offset(emu, bot):
    await bot.get_me()
    for uid in user_ids(emu)[:5]:
        await emu.user_sends(uid, "hi")

    assert [u.update_id for u in await bot.get_updates(limit=2)] == [1, 2]
    assert [u.update_id for u in await bot.get_updates(offset=-2)] == [4, 5]


async def test_long_poll_waits_for_timeout_when_idle(bot):
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 2


async def test_long_poll_returns_as_soon_as_an_update_arrives(emu, bot):
    await bot.get_me()
    uid = user_ids(emu)[0]

    async def later() -> None:
        await asyncio.sleep(0.2)
        await emu.user_sends(uid, "ping")

    started = time.monotonic()
    sender = asyncio.create_task(later())
    updates = await bot.get_updates(timeout=10)
    await sender
    assert [u.message.text for u in updates] == ["ping"]
    assert time.monotonic() - started < 2


async def test_a_newer_poll_terminates_the_waiting_one(bot_factory, token):
    first, second = bot_factory(token), bot_factory(token)
    waiting = asyncio.create_task(first.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert await second.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await waiting


async def test_allowed_updates_filters_new_updates(emu, bot):
    await bot.get_me()
    uid = user_ids(emu)[0]
    group = next(c for c in emu.state.world.chats.values() if c.type == "supergroup")

    await bot.get_updates(allowed_updates=["callback_query"], timeout=0)
    assert await emu.user_sends(uid, "ignored") is None
    await bot.get_updates(allowed_updates=["message", "chat_member"], timeout=0)
    await emu.user_sends(uid, "seen")
    await emu.join_chat(_outsider(emu, group), group.id)

    updates = await bot.get_updates()
    assert [u.event_type for u in updates] == ["message", "chat_member"]
    assert updates[1].chat_member.new_chat_member.status == "member"


async def test_chat_member_updates_are_opt_in(emu, bot):
    await bot.get_me()
    group = next(c for c in emu.state.world.chats.values() if c.type == "supergroup")
    assert await emu.join_chat(_outsider(emu, group), group.id) is None


async def test_user_photo_and_group_messages(emu, bot):
    await bot.get_me()
    uid = user_ids(emu)[0]
    group = next(c for c in emu.state.world.chats.values() if c.type == "supergroup")
    await emu.user_sends_photo(uid, caption="my receipt")
    await emu.user_sends(uid, "hello group /help@emu777000111_bot", chat_id=group.id)

    photo, text = await bot.get_updates()
    assert photo.message.photo[-1].file_id and photo.message.caption == "my receipt"
    assert text.message.chat.id == group.id
    assert text.message.entities[0].type == "bot_command"
    incoming = emu.messages(uid, direction="in")
    assert [r.media_kind for r in incoming] == ["photo"]
