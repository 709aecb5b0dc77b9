"""Contests that stay honest: plain-text polls and notices, closed contests refuse plays,
quizzes resume after a lost question, one conversion per delivery, repeatable draws."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.methods import SendMessage, SendPoll
from sqlalchemy import update

from core.campaign_types.engagement import NEXT_QUESTION_TEXT, QuizQuestion, question_poll
from core.contest_draws import eligible_digest, mix_seed, pick_winners
from core.context import CoreContext
from storage.models import Campaign, Delivery, Interaction
from storage.models_types import Answer
from storage.repositories.contests import starting_ref
from tests.campaign_types import test_engagement_e2e as quiz_tests
from tests.campaign_types.test_engagement_e2e import (
    QUESTIONS,
    call,
    launch,
    rows,
    subscriber_ids,
)

emulator_config = quiz_tests.emulator_config
dispatcher = quiz_tests.dispatcher
players = quiz_tests.players
tg_api = quiz_tests.tg_api

TRICKY = [
    {"key": "lt", "question": "Is 2 < 3 & 3 > 2?", "options": ["<yes>", "no & never"],
     "correctOption": 0, "explanation": "1 < 2 & so on"},
    {"key": "amp", "question": "R&D <b>?", "options": ["a&b", "<i>"], "correctOption": 1},
]  # fmt: skip


def prepared(bot: Bot, method: Any) -> dict[str, Any]:
    """The parameters aiogram would send for `method` (None values are left out)."""
    dumped = method.model_dump(warnings=False)
    values = {k: bot.session.prepare_value(v, bot=bot, files={}) for k, v in dumped.items()}
    return {k: v for k, v in values.items() if v is not None}


def record_requests(bot: Bot, method_type: type) -> list[dict[str, Any]]:
    """Every `method_type` request the bot makes from now on, as prepared for Telegram."""
    seen: list[dict[str, Any]] = []

    async def middleware(make_request: Any, bot: Bot, method: Any) -> Any:
        if isinstance(method, method_type):
            seen.append(prepared(bot, method))
        return await make_request(bot, method)

    bot.session.middleware(middleware)
    return seen


async def set_campaign(core: CoreContext, cid: str, **values: Any) -> None:
    async with core.uow() as uow:
        number = int(cid.split("_")[1])
        await uow.session.execute(update(Campaign).where(Campaign.id == number).values(**values))
        await uow.commit()


async def set_ref(core: CoreContext, chat_id: int, ref: str | None) -> None:
    async with core.uow() as uow:
        await uow.session.execute(
            update(Delivery).where(Delivery.chat_id == chat_id).values(ref=ref)
        )
        await uow.commit()


async def converted_count(api, auth, cid: str) -> int:
    _, campaign = await call(api, auth, "GET", f"/api/v1/campaigns/{cid}")
    return campaign["data"]["statistics"]["conversionsAchieved"]


# 1. Polls are plain text ------------------------------------------------------------------


def test_a_question_poll_carries_no_parse_mode_whatever_the_bot_default(bot: Bot):
    question = QuizQuestion.model_validate(TRICKY[0])
    sent = prepared(bot, question_poll(1, question, delivery_id=7, paid=False))
    assert not [k for k in sent if "parse_mode" in k]
    assert "parse_mode" not in sent["options"]
    assert sent["question"] == "Is 2 < 3 & 3 > 2?"
    # The bot's default would have applied without the explicit None:
    plain = prepared(bot, SendPoll(chat_id=1, question="?", options=["a", "b"]))
    assert "question_parse_mode" in plain


async def test_questions_with_html_characters_are_sent_as_they_are(
    tg_api, auth, core, emu, make_engine, players, bot
):
    polls = record_requests(bot, SendPoll)
    quiz = {"mode": "quiz", "questions": TRICKY}
    _, (ann,) = await launch(
        tg_api, auth, core, make_engine, emu, ["Ann"], settings=quiz,
        messages=[{"content": "Quiz!"}],
    )  # fmt: skip
    await players.press(ann, "Start the quiz")
    assert players.last_poll(ann)[1]["question"] == "Is 2 < 3 & 3 > 2?"
    await players.vote(ann, 0)
    assert players.last_poll(ann)[1]["question"] == "R&D <b>?"
    await players.vote(ann, 1)
    assert players.last_text(ann) == "You answered 2 of 2 correctly. Thanks for playing!"
    assert len(polls) == 2
    assert all(not [k for k in p if "parse_mode" in k] for p in polls)
    assert all("parse_mode" not in p["options"] for p in polls)


# 2. Winner notices are plain text, and notifiedAt means everyone was told ----------------


async def test_a_winner_notice_with_html_characters_goes_out(
    tg_api, auth, core, emu, make_engine, players, bot
):
    notices = record_requests(bot, SendMessage)
    cid, (ann,) = await launch(
        tg_api, auth, core, make_engine, emu, ["Ann"], settings={"mode": "challenge"},
        name="Q&A <spring> draw",
    )  # fmt: skip
    assert await players.press(ann, "Enter") == "You're in! Good luck."
    status, drawn = await call(
        tg_api, auth, "POST", f"/api/v1/campaigns/{cid}/draw", {"winners": 1, "notify": True}
    )
    assert status == 201, drawn
    assert (drawn["data"]["notified"], drawn["data"]["notNotified"]) == (1, 0)
    assert drawn["data"]["notifiedAt"]
    assert players.last_text(ann) == (
        "Congratulations, Ann! You are a winner of the draw: Q&A <spring> draw."
    )
    assert "parse_mode" not in notices[-1]


async def test_a_draw_is_not_stamped_notified_while_a_winner_was_not_told(
    tg_api, auth, core, emu, make_engine, players
):
    cid, (ann, ben) = await launch(
        tg_api, auth, core, make_engine, emu, ["Ann", "Ben"], settings={"mode": "challenge"}
    )
    await players.press(ann, "Enter")
    await players.press(ben, "Enter")
    await emu.block(ben)
    status, drawn = await call(
        tg_api, auth, "POST", f"/api/v1/campaigns/{cid}/draw", {"winners": 2, "notify": True}
    )
    assert status == 201, drawn
    assert (drawn["data"]["notified"], drawn["data"]["notNotified"]) == (1, 1)
    assert drawn["data"]["notifiedAt"] is None
    _, listed = await call(tg_api, auth, "GET", f"/api/v1/campaigns/{cid}/draws")
    assert listed["data"]["draws"][0]["notifiedAt"] is None


# 3. A closed contest counts nothing --------------------------------------------------------


async def test_a_cancelled_challenge_takes_no_entries(
    tg_api, auth, core, emu, make_engine, players
):
    cid, (ann,) = await launch(
        tg_api, auth, core, make_engine, emu, ["Ann"], settings={"mode": "challenge"}
    )
    await set_campaign(core, cid, status="cancelled")
    assert await players.press(ann, "Enter") == "This contest is closed."
    assert await rows(core, Answer) == []
    assert await converted_count(tg_api, auth, cid) == 0


async def test_a_cancelled_quiz_takes_no_starts_or_answers(
    tg_api, auth, core, emu, make_engine, players
):
    quiz = {"mode": "quiz", "questions": QUESTIONS}
    cid, (ann,) = await launch(
        tg_api, auth, core, make_engine, emu, ["Ann"], settings=quiz,
        messages=[{"content": "Quiz!"}],
    )  # fmt: skip
    await players.press(ann, "Start the quiz")
    await set_campaign(core, cid, status="cancelled")
    await players.vote(ann, 1)
    assert players.last_text(ann) == "This contest is closed."
    assert await players.press(ann, "Start the quiz") == "This contest is closed."
    assert await rows(core, Answer) == []


async def test_a_contest_past_its_end_date_is_closed(
    tg_api, auth, core, clock, emu, make_engine, players
):
    cid, (ann,) = await launch(
        tg_api, auth, core, make_engine, emu, ["Ann"], settings={"mode": "challenge"}
    )
    ended = clock() - timedelta(minutes=1)
    await set_campaign(core, cid, end_date=ended)
    assert await players.press(ann, "Enter") == (
        f"Sorry, this contest closed at {ended:%Y-%m-%d %H:%M} UTC."
    )
    assert await rows(core, Answer) == []


# 4. A quiz can always go on ----------------------------------------------------------------


async def test_a_claim_left_by_a_crash_is_retaken_after_thirty_seconds(
    tg_api, auth, core, clock, emu, make_engine, players
):
    quiz = {"mode": "quiz", "questions": QUESTIONS}
    _, (ann,) = await launch(
        tg_api, auth, core, make_engine, emu, ["Ann"], settings=quiz,
        messages=[{"content": "Quiz!"}],
    )  # fmt: skip
    # The process committed its claim on Ann's first question, then died before sending it.
    await set_ref(core, ann, starting_ref(int(clock().timestamp())))
    assert await players.press(ann, "Start the quiz") == "Your question is on its way."
    assert not [m for m in emu.messages(ann) if "poll" in m.message]
    clock.advance(timedelta(seconds=31))
    assert await players.press(ann, "Start the quiz") is None
    assert players.last_poll(ann)[1]["question"] == "Capital of France?"


async def test_a_poll_only_quiz_goes_on_after_a_lost_question(
    tg_api, auth, core, emu, make_engine, players
):
    quiz = {"mode": "quiz", "questions": QUESTIONS}
    _, (ann,) = await launch(tg_api, auth, core, make_engine, emu, ["Ann"], settings=quiz)
    [first] = emu.messages(ann)
    assert first.message["poll"]["question"] == "Capital of France?"
    assert first.reply_markup["inline_keyboard"] == [
        [{"text": NEXT_QUESTION_TEXT, "callback_data": first.reply_markup["inline_keyboard"][0][0]["callback_data"]}]
    ]  # fmt: skip
    await emu.set_faults(error_rate=1.0, error_codes=[500], methods=["sendPoll"])
    await players.vote(ann, 1)  # the second question is lost
    await emu.clear_faults()
    assert [m.message["poll"]["question"] for m in emu.messages(ann) if "poll" in m.message] == [
        "Capital of France?"
    ]
    assert await players.press(ann, NEXT_QUESTION_TEXT) is None
    assert players.last_poll(ann)[1]["question"] == "2 + 2?"
    await players.vote(ann, 0)
    assert players.last_text(ann) == "You answered 2 of 2 correctly. Thanks for playing!"


# 5. One conversion per delivery -------------------------------------------------------------


async def test_a_quiz_finished_again_after_an_edit_converts_once(
    tg_api, auth, core, emu, make_engine, players
):
    quiz = {"mode": "quiz", "questions": QUESTIONS[:1]}
    cid, (ann,) = await launch(
        tg_api, auth, core, make_engine, emu, ["Ann"], settings=quiz,
        messages=[{"content": "Quiz!"}],
    )  # fmt: skip
    await players.press(ann, "Start the quiz")
    await players.vote(ann, 1)
    assert await converted_count(tg_api, auth, cid) == 1
    # A question is added to the running quiz: Ann plays it and finishes a second time.
    await set_campaign(core, cid, settings={"mode": "quiz", "questions": QUESTIONS})
    await players.press(ann, "Start the quiz")
    await players.vote(ann, 0)
    assert players.last_text(ann) == "You answered 2 of 2 correctly. Thanks for playing!"
    assert await converted_count(tg_api, auth, cid) == 1
    assert [i.type for i in await rows(core, Interaction)].count("CONVERTED") == 1


# 6. Draws: reproducible, unforeseeable, idempotent ------------------------------------------


def test_the_draw_algorithm_is_sha256_ranking():
    ids = [30, 10, 20, 40, 50]
    ranked = sorted(ids, key=lambda i: hashlib.sha256(f"audit:{i}".encode()).hexdigest())
    assert pick_winners(ids, 3, "audit") == ranked[:3]
    assert eligible_digest([3, 1, 2, 1]) == hashlib.sha256(b"1,2,3").hexdigest()
    assert mix_seed("srv", None) == "srv"
    assert mix_seed("srv", "mine") == hashlib.sha256(b"srv:mine").hexdigest()


async def test_a_repeated_draw_key_answers_the_first_draw_and_notifies_once(
    tg_api, auth, core, emu, make_engine, players
):
    cid, (ann, ben, cy) = await launch(
        tg_api, auth, core, make_engine, emu, ["Ann", "Ben", "Cy"],
        settings={"mode": "challenge"},
    )  # fmt: skip
    for user in (ann, ben, cy):
        await players.press(user, "Enter")
    body = {"winners": 1, "notify": True, "drawKey": "spring-1", "seed": "mine"}
    status, first = await call(tg_api, auth, "POST", f"/api/v1/campaigns/{cid}/draw", body)
    assert status == 201, first
    told = sum(len(emu.messages(u)) for u in (ann, ben, cy))
    status, again = await call(tg_api, auth, "POST", f"/api/v1/campaigns/{cid}/draw", body)
    assert status == 200, again
    assert again["data"]["id"] == first["data"]["id"]
    assert sum(len(emu.messages(u)) for u in (ann, ben, cy)) == told
    _, listed = await call(tg_api, auth, "GET", f"/api/v1/campaigns/{cid}/draws")
    [only] = listed["data"]["draws"]
    ids = await subscriber_ids(core, [ann, ben, cy])
    assert (only["eligible"], only["eligibleDigest"]) == (3, eligible_digest(ids))
    assert only["seed"] == mix_seed(only["serverSeed"], "mine")
    assert only["drawKey"] == "spring-1"
    status, detail = await call(tg_api, auth, "GET", f"/api/v1/campaigns/{cid}/draws/{only['id']}")
    assert status == 200, detail
    assert detail["data"]["eligibleIds"] == [f"sub_{i}" for i in sorted(ids)]
    assert detail["data"]["eligibleDigestMatches"] is True
    status, _ = await call(tg_api, auth, "GET", f"/api/v1/campaigns/{cid}/draws/draw_999")
    assert status == 404

    # excludePreviousWinners: the next draws leave earlier winners out.
    winners = {first["data"]["winners"][0]["subscriberId"]}
    for _ in range(2):
        status, drawn = await call(
            tg_api, auth, "POST", f"/api/v1/campaigns/{cid}/draw",
            {"winners": 1, "excludePreviousWinners": True},
        )  # fmt: skip
        assert status == 201, drawn
        assert drawn["data"]["excludePreviousWinners"] is True
        assert drawn["data"]["winners"][0]["subscriberId"] not in winners
        winners.add(drawn["data"]["winners"][0]["subscriberId"])
        path = f"/api/v1/campaigns/{cid}/draws/{drawn['data']['id']}"
        _, detail = await call(tg_api, auth, "GET", path)  # earlier winners were left out
        assert len(detail["data"]["eligibleIds"]) == drawn["data"]["eligible"] == 4 - len(winners)
        assert detail["data"]["eligibleDigestMatches"] is True
    status, empty = await call(
        tg_api, auth, "POST", f"/api/v1/campaigns/{cid}/draw",
        {"winners": 1, "excludePreviousWinners": True},
    )  # fmt: skip
    assert (status, empty["error"]["code"]) == (409, "NO_ELIGIBLE_PARTICIPANTS")
