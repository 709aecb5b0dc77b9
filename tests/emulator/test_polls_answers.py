"""Users answering polls and quizzes, stopPoll, contacts, replies and the extra send methods."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import ForceReply, KeyboardButton, ReplyKeyboardMarkup

from emulator.errors import ControlError
from emulator.testing import FakeClock
from tests.emulator.conftest import small_config, user_ids
from tests.emulator.control_client import Control

SURVEY_UPDATES = ["message", "poll", "poll_answer"]


@pytest.fixture
async def quiet_emu(emulator_factory):
    """Limits that never get in the way of a story about answers."""
    return await emulator_factory(small_config(clock=FakeClock(), private_chat_rate=1000))


@pytest.fixture
def quiet_bot(bot_factory, quiet_emu):
    return bot_factory(server=quiet_emu)


@pytest.fixture
async def control(quiet_emu) -> AsyncIterator[Control]:
    async with aiohttp.ClientSession() as http:
        yield Control(http, quiet_emu.base_url)


async def test_votes_in_a_public_poll_reach_the_bot_as_poll_answers(quiet_emu, quiet_bot, control):
    await quiet_bot.get_updates(allowed_updates=SURVEY_UPDATES, timeout=0)
    uid = user_ids(quiet_emu)[0]
    sent = await quiet_bot.send_poll(
        uid, "Which offer?", ["Shoes", "Bags", "Hats"], is_anonymous=False
    )

    voted = await control(
        "POST", f"/users/{uid}/vote", {"message_id": sent.message_id, "option_ids": [1]}
    )
    changed = await quiet_emu.vote(uid, sent.message_id, [2])

    assert voted["poll"]["options"][1]["voter_count"] == 1
    assert changed["poll"]["options"][1]["voter_count"] == 0
    assert changed["poll"]["options"][2]["voter_count"] == 1
    answers = [u.poll_answer for u in await quiet_bot.get_updates() if u.poll_answer]
    assert [a.option_ids for a in answers] == [[1], [2]]
    assert answers[0].poll_id == sent.poll.id and answers[0].user.id == uid
    listed = await control("GET", "/polls", chat_id=uid)
    assert listed["polls"][0]["votes"] == {str(uid): [2]}


async def test_anonymous_polls_only_report_counts(quiet_emu, quiet_bot):
    await quiet_bot.get_updates(allowed_updates=SURVEY_UPDATES, timeout=0)
    uid = user_ids(quiet_emu)[0]
    sent = await quiet_bot.send_poll(
        uid, "Colours?", ["Red", "Blue", "Green"], allows_multiple_answers=True
    )

    await quiet_emu.vote(uid, sent.message_id, [0, 2])

    (update,) = await quiet_bot.get_updates()
    assert update.poll.id == sent.poll.id and update.poll.total_voter_count == 1
    assert [o.voter_count for o in update.poll.options] == [1, 0, 1]


async def test_quizzes_take_one_final_answer(quiet_emu, quiet_bot, control):
    uid = user_ids(quiet_emu)[0]
    quiz = await quiet_bot.send_poll(
        uid, "2+2?", ["3", "4"], type="quiz", correct_option_id=1, is_anonymous=False
    )

    await control("POST", f"/users/{uid}/vote", {"message_id": quiz.message_id, "option_ids": []})
    assert control.status == 400
    await control(
        "POST", f"/users/{uid}/vote", {"message_id": quiz.message_id, "option_ids": [0, 1]}
    )
    assert control.status == 400
    await quiet_emu.vote(uid, quiz.message_id, [0])
    refused = await control(
        "POST", f"/users/{uid}/vote", {"message_id": quiz.message_id, "option_ids": [1]}
    )
    assert control.status == 409 and "changing the vote" in refused["error"]


async def test_stop_poll_closes_it(quiet_emu, quiet_bot):
    first, second = user_ids(quiet_emu)[:2]
    sent = await quiet_bot.send_poll(first, "Open?", ["Yes", "No"])
    await quiet_emu.vote(first, sent.message_id, [0])

    final = await quiet_bot.stop_poll(first, sent.message_id)

    assert final.is_closed and final.options[0].voter_count == 1
    with pytest.raises(ControlError, match="poll is closed"):
        await quiet_emu.vote(first, sent.message_id, [1])
    with pytest.raises(TelegramBadRequest, match="poll has already been closed"):
        await quiet_bot.stop_poll(first, sent.message_id)
    plain = await quiet_bot.send_message(second, "not a poll")
    with pytest.raises(TelegramBadRequest, match="message with poll to stop not found"):
        await quiet_bot.stop_poll(second, plain.message_id)


async def test_contact_requests_and_shared_contacts(quiet_emu, quiet_bot, control):
    await quiet_bot.get_me()
    uid = user_ids(quiet_emu)[0]
    keyboard = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Share my number", request_contact=True)]],
        resize_keyboard=True,
    )
    asked = await quiet_bot.send_message(uid, "May we call you?", reply_markup=keyboard)

    shared = await control(
        "POST", f"/users/{uid}/contact", {"reply_to_message_id": asked.message_id}
    )
    own = await control("POST", f"/users/{uid}/contact", {"phone_number": "+4917012345"})

    contact = shared["update"]["message"]["contact"]
    assert contact["user_id"] == uid and contact["phone_number"].startswith("+1555")
    assert shared["update"]["message"]["reply_to_message"]["message_id"] == asked.message_id
    assert own["update"]["message"]["contact"]["phone_number"] == "+4917012345"
    (first, _) = await quiet_bot.get_updates()
    assert first.message.contact.user_id == uid
    assert quiet_emu.messages(uid, direction="in")[0].media_kind == "contact"


async def test_force_reply_questions_get_text_replies(quiet_emu, quiet_bot, control):
    await quiet_bot.get_me()
    uid = user_ids(quiet_emu)[0]
    question = await quiet_bot.send_message(
        uid, "How old are you?", reply_markup=ForceReply(input_field_placeholder="Age")
    )

    answered = await control(
        "POST", f"/users/{uid}/send", {"text": "31", "reply_to_message_id": question.message_id}
    )

    assert answered["update"]["message"]["reply_to_message"]["text"] == "How old are you?"
    (update,) = await quiet_bot.get_updates()
    assert update.message.reply_to_message.message_id == question.message_id
    assert quiet_emu.messages(uid)[0].reply_markup["force_reply"] is True
    await control("POST", f"/users/{uid}/send", {"text": "x", "reply_to_message_id": 999})
    assert control.status == 404


async def test_dice_location_venue_and_contact_sends(quiet_emu, quiet_bot):
    uid = user_ids(quiet_emu)[0]

    dice = await quiet_bot.send_dice(uid, emoji="🎯")
    spot = await quiet_bot.send_location(uid, latitude=52.52, longitude=13.405)
    venue = await quiet_bot.send_venue(
        uid, latitude=52.52, longitude=13.405, title="Flagship store", address="Unter den Linden 1"
    )
    card = await quiet_bot.send_contact(uid, phone_number="+4930123456", first_name="Support")

    assert dice.dice.emoji == "🎯" and 1 <= dice.dice.value <= 6
    assert spot.location.latitude == 52.52
    assert venue.venue.title == "Flagship store" and venue.location.longitude == 13.405
    assert card.contact.first_name == "Support"
    kinds = [r.media_kind for r in quiet_emu.messages(uid)]
    assert kinds == ["dice", "location", "venue", "contact"]
    assert quiet_emu.stats()["totals"]["accepted"] == 4
    with pytest.raises(TelegramBadRequest, match="invalid dice emoji"):
        await quiet_bot.send_dice(uid, emoji="🍕")
    with pytest.raises(TelegramBadRequest, match="wrong latitude"):
        await quiet_bot.send_location(uid, latitude=91, longitude=0)
    with pytest.raises(TelegramBadRequest, match="address is empty"):
        await quiet_bot.send_venue(uid, latitude=1, longitude=1, title="x", address="")


async def test_extra_sends_are_rate_limited(emulator_factory, bot_factory):
    emu = await emulator_factory(small_config(clock=FakeClock()))
    bot = bot_factory(server=emu)
    uid = user_ids(emu)[0]
    await bot.send_dice(uid)
    with pytest.raises(Exception, match="retry after"):
        await bot.send_location(uid, latitude=1, longitude=1)
