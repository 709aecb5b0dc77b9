"""Autonomous users join through invite links, vote, answer questions and share contacts."""

from __future__ import annotations

import random

from aiogram.types import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from emulator.__main__ import build_parser, config_from_args
from emulator.answers import free_text_answer
from tests.emulator.conftest import small_config, user_ids

FAST = {"answer_delay_min": 0.0, "answer_delay_max": 0.02, "private_chat_rate": 100}
CONTACT = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Share", request_contact=True)]])


def supergroup_of(emu):
    return next(c for c in emu.state.world.chats.values() if c.type == "supergroup" and c.username)


def outsiders(emu, chat) -> list[int]:
    return [uid for uid in user_ids(emu) if uid not in chat.members]


async def test_users_follow_invite_links_in_buttons_and_text(emulator_factory, bot_factory):
    emu = await emulator_factory(small_config(join_rate=1.0, **FAST))
    bot = bot_factory(server=emu)
    chat = supergroup_of(emu)
    by_button, by_text = outsiders(emu, chat)[:2]
    link = await bot.create_chat_invite_link(chat.id, name="campaign")
    button = InlineKeyboardButton(text="Join", url=link.invite_link)

    await bot.send_message(
        by_button, "Join us!", reply_markup=InlineKeyboardMarkup(inline_keyboard=[[button]])
    )
    await bot.send_message(by_text, f"Our group: {link.invite_link}")

    await emu.wait_until(lambda: {by_button, by_text} <= chat.members)
    assert emu.messages(by_button)[0].url_opens[0]["url"] == link.invite_link
    assert emu.state.invites.find(link.invite_link).joined == 2


async def test_users_answer_polls_questions_and_contact_requests(emulator_factory, bot_factory):
    emu = await emulator_factory(small_config(answer_rate=1.0, **FAST))
    bot = bot_factory(server=emu)
    await bot.get_updates(allowed_updates=["message", "poll_answer"], timeout=0)
    voter, rater, caller, talker = user_ids(emu)[:4]

    poll = await bot.send_poll(voter, "Best day?", ["Mon", "Fri"], is_anonymous=False)
    await bot.send_message(rater, "Rate us from 1 to 5", reply_markup=ForceReply())
    await bot.send_message(caller, "Can we call you?", reply_markup=CONTACT)
    await bot.send_message(talker, "Any wishes?", reply_markup=ForceReply())

    def answered() -> bool:
        replies = [emu.messages(u, direction="in") for u in (rater, caller, talker)]
        return all(replies) and bool(emu.state.polls.polls[poll.poll.id].votes)

    await emu.wait_until(answered)
    updates = await bot.get_updates()
    (vote,) = [u.poll_answer for u in updates if u.poll_answer]
    assert vote.user.id == voter and vote.option_ids[0] in (0, 1)
    rating = emu.messages(rater, direction="in")[0].message
    assert rating["text"] in {"1", "2", "3", "4", "5"}
    assert rating["reply_to_message"]["text"] == "Rate us from 1 to 5"
    assert emu.messages(caller, direction="in")[0].message["contact"]["user_id"] == caller
    assert not emu.messages(talker, direction="in")[0].text.isdigit()


async def test_people_and_disabled_rates_do_not_answer(emulator_factory, bot_factory):
    emu = await emulator_factory(small_config(**FAST))
    bot = bot_factory(server=emu)
    uid = user_ids(emu)[0]
    await bot.send_poll(uid, "Quiet?", ["Yes", "No"], is_anonymous=False)
    await bot.send_message(uid, "Say something", reply_markup=ForceReply())
    assert emu.state.background_task_count == 0

    await emu.update_config(answer_rate=1.0)
    emu.state.world.users[uid].autonomous = False
    await bot.send_message(uid, "Say something else", reply_markup=ForceReply())
    assert emu.state.background_task_count == 0


def _answers(emu) -> list[str | None]:
    """Per user: the text of their first reply, if any."""
    replies = [emu.messages(uid, direction="in") for uid in user_ids(emu)]
    return [r[0].text if r else None for r in replies]


async def test_answers_are_deterministic_with_a_seed(emulator_factory, bot_factory):
    outcomes = []
    for _ in range(2):
        emu = await emulator_factory(small_config(answer_rate=0.5, seed=5, **FAST))
        bot = bot_factory(server=emu)
        for uid in user_ids(emu):
            await bot.send_message(uid, "Pick 10-99", reply_markup=ForceReply())
        await emu.wait_until(lambda emu=emu: emu.state.background_task_count == 0)
        outcomes.append(_answers(emu))
    assert outcomes[0] == outcomes[1]
    assert 0 < sum(1 for a in outcomes[0] if a) < len(outcomes[0])


def test_free_text_answers_pick_numbers_from_ranges():
    rng = random.Random(1)
    assert 10 <= int(free_text_answer("Score us 10–20 please", rng)) <= 20
    assert 1 <= int(free_text_answer("from 1 to 3?", rng)) <= 3
    assert not free_text_answer("What do you think?", rng).isdigit()


def test_rates_come_from_the_command_line():
    args = build_parser().parse_args(["--join-rate", "0.3", "--answer-rate", "0.5"])
    config = config_from_args(args)
    assert (config.join_rate, config.answer_rate) == (0.3, 0.5)
