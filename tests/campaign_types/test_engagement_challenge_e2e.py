"""Challenges end to end (press to enter, until a deadline); what draws and presses refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core import contests
from core.contests import Verdict
from storage.models import Delivery
from tests.campaign_types import test_engagement_e2e as quiz_tests
from tests.campaign_types.test_engagement_e2e import (
    QUESTIONS,
    call,
    launch,
    rows,
    type_statistics,
)

# The quiz tests' fixtures: wide emulator limits, the service's dispatcher, the players.
emulator_config = quiz_tests.emulator_config
dispatcher = quiz_tests.dispatcher
players = quiz_tests.players


async def test_a_challenge_takes_one_entry_each_until_its_deadline(
    api, auth, core, clock, emu, make_engine, players
):
    deadline = datetime.now(UTC) + timedelta(hours=1)
    settings = {
        "mode": "challenge",
        "entryButtonText": "Count me in",
        "entryDeadline": deadline.isoformat(),
    }
    messages = [{"content": "Win a trip!", "buttons": [[{"text": "Rules", "url": "https://x.y"}]]}]
    cid, (ann, ben) = await launch(
        api, auth, core, make_engine, emu, ["Ann", "Ben"], settings=settings, messages=messages
    )
    [invite] = emu.messages(ann)
    assert [[b["text"] for b in row] for row in invite.reply_markup["inline_keyboard"]] == [
        ["Rules"],
        ["Count me in"],
    ]
    assert await players.press(ann, "Count me in") == "You're in! Good luck."
    assert await players.press(ann, "Count me in") == "You have entered already."
    # Callback data can be forged; the presser cannot: Ben cannot enter with Ann's delivery.
    ann_delivery = next(d for d in await rows(core, Delivery) if d.chat_id == ann)
    async with core.uow() as uow:
        assert (await contests.enter(uow, ann_delivery.id, ben)).verdict is Verdict.IGNORED
    clock.set(deadline + timedelta(seconds=1))
    assert await players.press(ben, "Count me in") == (
        f"Sorry, this contest closed at {deadline:%Y-%m-%d %H:%M} UTC."
    )

    figures = await type_statistics(api, auth, cid)
    assert (figures["participants"], figures["entries"], figures["completed"]) == (1, 1, 0)
    _, campaign = await call(api, auth, "GET", f"/api/v1/campaigns/{cid}")
    counters = campaign["data"]["statistics"]
    assert (counters["clicks"], counters["conversionsAchieved"]) == (1, 1)

    status, drawn = await call(api, auth, "POST", f"/api/v1/campaigns/{cid}/draw", {"winners": 3})
    assert status == 201, drawn
    assert [w["telegramId"] for w in drawn["data"]["winners"]] == [ann]
    assert (drawn["data"]["requested"], drawn["data"]["eligible"]) == (3, 1)
    # A challenge has no correct answers; this process has no bot to notify with.
    status, body = await call(
        api, auth, "POST", f"/api/v1/campaigns/{cid}/draw",
        {"winners": 1, "eligibility": "all_correct"},
    )  # fmt: skip
    assert status == 400 and body["error"]["details"][0]["field"] == "eligibility"
    status, body = await call(
        api, auth, "POST", f"/api/v1/campaigns/{cid}/draw", {"winners": 1, "notify": True}
    )
    assert status == 409 and body["error"]["code"] == "NOTIFY_UNAVAILABLE"


async def test_draws_refuse_bad_counts_strangers_and_empty_contests(api, auth):
    quiz = {"name": "Quiz", "type": "engagement", "messages": [{"content": "Play"}],
            "settings": {"mode": "quiz", "questions": QUESTIONS}}  # fmt: skip
    response = await api.post("/api/v1/campaigns", json=quiz, headers=auth)
    cid = (await response.json())["data"]["id"]
    for bad in ({"winners": 0}, {"winners": 1001}, {"winners": "2"}, {}, {"winners": 1, "x": 1}):
        status, body = await call(api, auth, "POST", f"/api/v1/campaigns/{cid}/draw", bad)
        assert status == 400, (bad, body)
    status, body = await call(api, auth, "POST", f"/api/v1/campaigns/{cid}/draw", {"winners": 1})
    assert status == 409 and body["error"]["code"] == "NO_ELIGIBLE_PARTICIPANTS"
    response = await api.post(
        "/api/v1/campaigns", json={"name": "Plain", "messages": [{"content": "Hi"}]}, headers=auth
    )
    plain = (await response.json())["data"]["id"]
    status, body = await call(api, auth, "POST", f"/api/v1/campaigns/{plain}/draw", {"winners": 1})
    assert status == 409 and body["error"]["code"] == "NOT_A_CONTEST"
    status, body = await call(api, auth, "GET", f"/api/v1/campaigns/{cid}/draws")
    assert status == 200 and body["data"] == {"draws": []}
    status, _ = await call(api, auth, "GET", "/api/v1/campaigns/camp_999/draws")
    assert status == 404


async def test_a_start_press_before_the_ledger_records_the_send_is_asked_again(api, auth, core):
    # The press can outrun the engine's write-back (a poll id on the delivery would then be
    # overwritten): until the row says `sent`, the recipient is asked to press again.
    response = await api.post(
        "/api/v1/subscribers", json={"subscribers": [{"telegramId": 4242}]}, headers=auth
    )
    assert response.status == 200
    quiz = {"name": "Quiz", "type": "engagement", "messages": [{"content": "Play"}],
            "settings": {"mode": "quiz", "questions": QUESTIONS}}  # fmt: skip
    cid = (await (await api.post("/api/v1/campaigns", json=quiz, headers=auth)).json())["data"][
        "id"
    ]
    status, _ = await call(api, auth, "POST", f"/api/v1/campaigns/{cid}/execute")
    assert status == 200
    [delivery] = await rows(core, Delivery)
    assert delivery.status == "pending"
    async with core.uow() as uow:
        assert (await contests.start_quiz(uow, delivery.id, 4242)).verdict is Verdict.WAIT
        assert (await contests.enter(uow, delivery.id, 4242)).verdict is Verdict.IGNORED  # a quiz
