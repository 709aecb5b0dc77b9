"""Virtual users: button presses, callback answers, blocking, greeting and auto-clicking."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from emulator.errors import ControlError
from emulator.testing import make_token
from tests.emulator.conftest import small_config, user_ids

OFFER = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Claim", callback_data="claim:42")],
        [InlineKeyboardButton(text="Shop", url="https://shop.example.com/spring")],
    ]
)


async def test_callback_query_round_trip(emu, bot):
    uid = user_ids(emu)[0]
    sent = await bot.send_message(uid, "Spring offer", reply_markup=OFFER)

    pressed = await emu.press_button(uid, sent.message_id, data="claim:42")
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert query.id == pressed["callback_query_id"]
    assert query.data == "claim:42" and query.from_user.id == uid
    assert query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, text="Coupon saved!", show_alert=True)

    (record,) = emu.callback_queries()
    assert record.answered and record.answer_text == "Coupon saved!" and record.show_alert
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)


async def test_url_buttons_are_recorded_as_opened(emu, bot):
    uid = user_ids(emu)[0]
    sent = await bot.send_message(uid, "Spring offer", reply_markup=OFFER)

    result = await emu.press_button(uid, sent.message_id, text="Shop")

    assert result == {"kind": "url", "url": "https://shop.example.com/spring"}
    assert emu.messages(uid)[0].url_opens[0]["user_id"] == uid
    assert await bot.get_updates(timeout=0) == []


async def test_pressing_a_missing_button_is_a_control_error(emu, bot):
    uid = user_ids(emu)[0]
    sent = await bot.send_message(uid, "plain")
    with pytest.raises(ControlError, match="no inline keyboard"):
        await emu.press_button(uid, sent.message_id, index=0)


async def test_block_and_unblock_produce_my_chat_member(emu, bot):
    await bot.get_me()
    uid = user_ids(emu)[0]

    await emu.block(uid)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(uid, "hello?")
    await emu.unblock(uid)
    await bot.send_message(uid, "welcome back")

    blocked, unblocked = await bot.get_updates()
    assert blocked.my_chat_member.old_chat_member.status == "member"
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    assert blocked.my_chat_member.from_user.id == uid
    assert unblocked.my_chat_member.new_chat_member.status == "member"
    assert await emu.block(user_ids(emu, "blocked")[0]) is None  # already blocked: no update


async def test_blocking_is_per_bot(emu, bot_factory):
    first, second = bot_factory(make_token(1001)), bot_factory(make_token(1002))
    await first.get_me()
    await second.get_me()
    uid = user_ids(emu)[0]
    await emu.block(uid, token=first.token)

    with pytest.raises(TelegramForbiddenError):
        await first.send_message(uid, "x")
    await second.send_message(uid, "y")


async def test_greeting_users_send_start_to_a_new_bot(emulator_factory, bot_factory):
    emu = await emulator_factory(small_config(greet=True, greet_spread=0.2))
    bot = bot_factory(server=emu)

    await bot.get_me()
    await emu.wait_until(lambda: len(emu.bot_state(bot.token).updates) == 18)
    updates = await bot.get_updates()

    senders = {u.message.from_user.id for u in updates}
    assert all(u.message.text == "/start" for u in updates)
    assert senders == set(user_ids(emu) + user_ids(emu, "blocked"))
    assert not senders & set(user_ids(emu, "deactivated"))
    await bot.get_me()  # greeting happens once per bot
    assert len(emu.bot_state(bot.token).updates) == 18


async def test_click_rate_makes_users_press_buttons(emulator_factory, bot_factory):
    config = small_config(
        click_rate=1.0, click_delay_min=0.0, click_delay_max=0.05, private_chat_rate=100
    )
    emu = await emulator_factory(config)
    bot = bot_factory(server=emu)
    targets = user_ids(emu)[:10]
    for uid in targets:
        await bot.send_message(uid, "offer", reply_markup=OFFER)

    def pressed() -> int:
        callbacks = len(emu.callback_queries())
        opens = sum(len(emu.messages(uid)[0].url_opens) for uid in targets)
        return callbacks + opens

    await emu.wait_until(lambda: pressed() == 10)
    assert len(await bot.get_updates()) == len(emu.callback_queries())


def _reactions(emu) -> list[tuple[int, int]]:
    """Per user: (URL opens, callback queries) on the first message they received."""
    return [
        (
            len(emu.messages(uid)[0].url_opens),
            sum(1 for query in emu.callback_queries() if query.chat_id == uid),
        )
        for uid in user_ids(emu)
    ]


async def test_click_decisions_are_deterministic_with_a_seed(emulator_factory, bot_factory):
    outcomes = []
    for _ in range(2):
        emu = await emulator_factory(small_config(click_rate=0.5, click_delay_max=0.01, seed=3))
        bot = bot_factory(server=emu)
        for uid in user_ids(emu):
            await bot.send_message(uid, "offer", reply_markup=OFFER)
        await emu.wait_until(lambda emu=emu: emu.state.background_task_count == 0)
        outcomes.append(_reactions(emu))
    assert outcomes[0] == outcomes[1]
    assert 0 < sum(a + b for a, b in outcomes[0]) < len(outcomes[0])
