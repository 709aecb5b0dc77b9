"""Quizzes and challenges end to end: created over REST, sent by the engine through the
emulator, played by virtual users (the emulator's /press and /vote control routes) with the
service's dispatcher answering, then statistics, draws and the draws' listing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from api.app import create_api_app
from bot.dispatcher import build_dispatcher
from core.contest_draws import eligible_digest, mix_seed, pick_winners
from core.context import CoreContext
from core.telegram_check import TelegramCheck
from emulator.config import EmulatorConfig
from emulator.testing import EmulatorServer
from storage.models import Delivery, Interaction, Tenant
from storage.models_types import Answer
from tests.delivery.conftest import wait_for_status

QUESTIONS = [
    {"key": "capital", "question": "Capital of France?", "options": ["Lyon", "Paris", "Nice"],
     "correctOption": 1, "explanation": "Paris, since 987."},
    {"key": "sum", "question": "2 + 2?", "options": ["4", "5"], "correctOption": 0},
]  # fmt: skip


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """Players answer faster than Telegram's 1 message/s per chat would let the bot reply."""
    return EmulatorConfig(
        users=0, groups=0, supergroups=0, migrated_groups=0, global_rate=1000,
        private_chat_rate=1000,
    )  # fmt: skip


@pytest.fixture
async def tg_api(core: CoreContext, bot: Bot) -> AsyncIterator[TestClient]:
    """The REST API of a process with a bot (as runtime.py builds it): draws can notify."""
    client = TestClient(TestServer(create_api_app(core, telegram_check=TelegramCheck(bot))))
    await client.start_server()
    yield client
    await client.close()


@pytest.fixture
def dispatcher(core: CoreContext, tenant: Tenant, emu: EmulatorServer, bot: Bot) -> Dispatcher:
    """The service's dispatcher; the bot asks for the updates its handlers take."""
    built = build_dispatcher(core, tenant.id)
    emu.bot_state(bot.token).updates.set_allowed(built.resolve_used_update_types())
    return built


class Players:
    """Virtual users acting through the emulator's control API, and the bot answering them."""

    def __init__(self, emu: EmulatorServer, bot: Bot, dispatcher: Dispatcher) -> None:
        self.emu, self.bot, self.dispatcher = emu, bot, dispatcher

    async def _control(self, user_id: int, action: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self.emu.base_url}/_emulator/users/{user_id}/{action}"
        async with aiohttp.ClientSession() as http, http.post(url, json=body) as response:
            answer = await response.json()
            assert response.status == 200, answer
        await self.deliver()
        return answer

    async def deliver(self) -> None:
        """Feed every queued update to the dispatcher, awaiting each handler."""
        queue = self.emu.bot_state(self.bot.token).updates
        while batch := queue.peek(100):
            queue.confirm(batch[-1]["update_id"] + 1)
            for raw in batch:
                update = Update.model_validate(raw, context={"bot": self.bot})
                await self.dispatcher.feed_update(self.bot, update)

    async def press(self, user_id: int, text: str) -> str | None:
        """Press the button labelled `text` on the newest message that has one; the toast."""
        message = next(
            m
            for m in reversed(self.emu.messages(user_id))
            if any(b["text"] == text for row in (m.reply_markup or {}).get("inline_keyboard", [])
                   for b in row)
        )  # fmt: skip
        await self._control(user_id, "press", {"message_id": message.message_id, "text": text})
        return self.emu.callback_queries()[-1].answer_text

    def last_poll(self, user_id: int) -> tuple[int, dict[str, Any]]:
        """(message id, poll) of the newest poll the user got."""
        message = next(m for m in reversed(self.emu.messages(user_id)) if "poll" in m.message)
        return message.message_id, message.message["poll"]

    async def vote(self, user_id: int, option: int) -> None:
        """Answer the newest poll the user got."""
        message_id, _ = self.last_poll(user_id)
        await self._control(user_id, "vote", {"message_id": message_id, "option_ids": [option]})

    def last_text(self, user_id: int) -> str | None:
        return self.emu.messages(user_id)[-1].text


@pytest.fixture
def players(emu: EmulatorServer, bot: Bot, dispatcher: Dispatcher) -> Players:
    return Players(emu, bot, dispatcher)


async def launch(api, auth, core, make_engine, emu, names, **fields) -> tuple[str, list[int]]:
    """Subscribers for new virtual users, an engagement campaign sent to them all."""
    users = [await emu.create_user(first_name=name) for name in names]
    batch = [{"telegramId": u.id, "firstName": u.first_name} for u in users]
    response = await api.post("/api/v1/subscribers", json={"subscribers": batch}, headers=auth)
    assert response.status == 200, await response.text()
    body = {"name": "Friday quiz", "type": "engagement", **fields}
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    assert response.status == 201, await response.text()
    cid = (await response.json())["data"]["id"]
    response = await api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    assert response.status == 200, await response.text()
    await make_engine().start()
    campaign = await wait_for_status(core, int(cid.split("_")[1]), {"completed", "failed"})
    assert campaign.status == "completed"
    return cid, [u.id for u in users]


async def call(api, auth, method: str, path: str, json: Any = None) -> tuple[int, Any]:
    response = await api.request(method, path, json=json, headers=auth)
    return response.status, await response.json()


async def type_statistics(api, auth, cid: str) -> dict[str, Any]:
    status, body = await call(api, auth, "GET", f"/api/v1/campaigns/{cid}/statistics?metrics=type")
    assert status == 200, body
    return body["data"]["typeStatistics"]


async def rows(core: CoreContext, model: Any) -> list[Any]:
    async with core.uow() as uow:
        return list((await uow.session.scalars(select(model))).all())


async def subscriber_ids(core: CoreContext, telegram_ids: list[int]) -> list[int]:
    by_chat = {d.chat_id: d.subscriber_id for d in await rows(core, Delivery)}
    return [by_chat[t] for t in telegram_ids]


async def test_a_quiz_is_played_scored_and_drawn(tg_api, auth, core, emu, make_engine, players):
    quiz = {"mode": "quiz", "questions": QUESTIONS}
    messages = [{"content": "Quiz time, {first_name}!"}]
    cid, (ann, ben, cy) = await launch(
        tg_api, auth, core, make_engine, emu, ["Ann", "Ben", "Cy"], settings=quiz, messages=messages
    )
    [invite] = emu.messages(ann)
    assert invite.text == "Quiz time, Ann!"
    assert invite.reply_markup["inline_keyboard"][-1][0]["text"] == "Start the quiz"

    # Ann starts: the first question is a native quiz poll, remembered on her delivery.
    assert await players.press(ann, "Start the quiz") is None
    _, poll = players.last_poll(ann)
    assert poll["question"] == "Capital of France?" and poll["type"] == "quiz"
    assert (poll["is_anonymous"], poll["correct_option_id"]) == (False, 1)
    assert poll["explanation"] == "Paris, since 987."
    assert {d.chat_id: d.ref for d in await rows(core, Delivery)}[ann] == poll["id"]
    # Pressing again (she lost the poll?) sends the current question again; only the newest
    # poll counts, a vote on the older one is ignored.
    stale_id, _ = players.last_poll(ann)
    await players.press(ann, "Start the quiz")
    polls = [m for m in emu.messages(ann) if "poll" in m.message]
    assert [m.message["poll"]["question"] for m in polls] == ["Capital of France?"] * 2
    await players._control(ann, "vote", {"message_id": stale_id, "option_ids": [1]})
    assert await rows(core, Answer) == []
    await players.vote(ann, 1)
    assert players.last_poll(ann)[1]["question"] == "2 + 2?"
    await players.vote(ann, 0)
    assert players.last_text(ann) == "You answered 2 of 2 correctly. Thanks for playing!"
    assert await players.press(ann, "Start the quiz") == (
        "You have finished the quiz. You answered 2 of 2 correctly."
    )

    # Ben gets one wrong; Cy answers only the first question.
    await players.press(ben, "Start the quiz")
    await players.vote(ben, 0)
    await players.vote(ben, 0)
    assert players.last_text(ben) == "You answered 1 of 2 correctly. Thanks for playing!"
    await players.press(cy, "Start the quiz")
    await players.vote(cy, 1)

    answers = {(a.subscriber_id, a.question): a for a in await rows(core, Answer)}
    ann_id, ben_id, cy_id = await subscriber_ids(core, [ann, ben, cy])
    assert answers[(ann_id, "capital")].value["option"] == 1
    assert answers[(ann_id, "capital")].correct is True
    assert answers[(ben_id, "capital")].correct is False
    assert (cy_id, "sum") not in answers

    figures = await type_statistics(tg_api, auth, cid)
    assert figures == {
        "mode": "quiz",
        "participants": 3,
        "entries": 0,
        "completed": 2,
        "allCorrect": 1,
        "questions": [
            {"key": "capital", "question": "Capital of France?", "answers": 3, "correct": 2,
             "correctRate": 66.67},
            {"key": "sum", "question": "2 + 2?", "answers": 2, "correct": 2, "correctRate": 100.0},
        ],
        "draws": 0,
        "winners": 0,
    }  # fmt: skip
    conversions = [i for i in await rows(core, Interaction) if i.type == "CONVERTED"]
    assert sorted(i.subscriber_id for i in conversions) == sorted([ann_id, ben_id])
    _, campaign = await call(tg_api, auth, "GET", f"/api/v1/campaigns/{cid}")
    assert campaign["data"]["statistics"]["conversionsAchieved"] == 2

    # Draws: among those who got everything right, then among all participants.
    status, first = await call(
        tg_api, auth, "POST", f"/api/v1/campaigns/{cid}/draw",
        {"winners": 1, "eligibility": "all_correct", "notify": True,
         "message": "Well done, {first_name}: you won!"},
    )  # fmt: skip
    assert status == 201, first
    first = first["data"]
    assert (first["eligible"], first["eligibility"], first["notified"]) == (1, "all_correct", 1)
    assert [w["telegramId"] for w in first["winners"]] == [ann]
    assert len(first["seed"]) == 32 and first["notifiedAt"]
    assert players.last_text(ann) == "Well done, Ann: you won!"
    status, second = await call(
        tg_api, auth, "POST", f"/api/v1/campaigns/{cid}/draw", {"winners": 2, "seed": "audit"}
    )
    assert status == 201, second
    second = second["data"]
    # The caller's seed is mixed with a server seed, both recorded: re-running gives the same.
    assert (second["clientSeed"], len(second["serverSeed"])) == ("audit", 32)
    assert second["seed"] == mix_seed(second["serverSeed"], "audit")
    assert second["eligibleDigest"] == eligible_digest([cy_id, ben_id, ann_id])
    expected = pick_winners([ann_id, ben_id, cy_id], 2, second["seed"])
    assert [w["subscriberId"] for w in second["winners"]] == [f"sub_{i}" for i in expected]
    assert (second["eligible"], second["requested"], second["notifiedAt"]) == (3, 2, None)

    status, listed = await call(tg_api, auth, "GET", f"/api/v1/campaigns/{cid}/draws")
    assert status == 200
    assert [(d["id"], d["seed"], d["eligibility"]) for d in listed["data"]["draws"]] == [
        (second["id"], second["seed"], "participants"),
        (first["id"], first["seed"], "all_correct"),
    ]
    assert listed["data"]["draws"][1]["notifiedAt"] == first["notifiedAt"]
    assert "notified" not in listed["data"]["draws"][1]
    assert (await type_statistics(tg_api, auth, cid))["draws"] == 2


async def test_quiz_answers_after_the_deadline_are_refused_politely(
    api, auth, core, clock, emu, make_engine, players
):
    deadline = datetime.now(UTC) + timedelta(hours=1)
    quiz = {"mode": "quiz", "questions": QUESTIONS, "entryDeadline": deadline.isoformat()}
    cid, (ann,) = await launch(
        api, auth, core, make_engine, emu, ["Ann"], settings=quiz,
        messages=[{"content": "Quiz!"}], name="Late quiz",
    )  # fmt: skip
    await players.press(ann, "Start the quiz")
    clock.set(deadline + timedelta(minutes=5))
    await players.vote(ann, 1)
    assert players.last_text(ann) == f"Sorry, this quiz closed at {deadline:%Y-%m-%d %H:%M} UTC."
    assert await rows(core, Answer) == []
    assert await players.press(ann, "Start the quiz") == (
        f"Sorry, this contest closed at {deadline:%Y-%m-%d %H:%M} UTC."
    )
    assert (await type_statistics(api, auth, cid))["participants"] == 0
