"""A survey end to end: created and executed over REST, sent by the engine through the
emulator, answered by virtual users over the emulator's control API, read back as responses
(JSON and CSV) and statistics."""

from __future__ import annotations

import csv
import io

import aiohttp
from sqlalchemy import select

from core.webhooks.urls import UrlPolicy
from storage.models_webhooks import WebhookDelivery
from tests.bot import conftest as bot_fixtures

# The in-process bot of the bot tests, with their wide emulator limits.
harness = bot_fixtures.harness
emulator_config = bot_fixtures.emulator_config

SURVEY = {
    "questions": [
        {"key": "color", "text": "Favourite colour?", "type": "single_choice",
         "options": ["Red", "Blue"]},
        {"key": "score", "text": "How many stars?", "type": "rating"},
        {"key": "note", "text": "Anything to add?", "type": "text", "required": False},
    ],
    "thanks": "Thanks!",
}  # fmt: skip


class Control:
    """A virtual user acting through the emulator's HTTP control API."""

    def __init__(self, http: aiohttp.ClientSession, harness, user_id: int) -> None:
        self.http, self.harness, self.user_id = http, harness, user_id

    def inbox(self):
        return [m for m in self.harness.emu.messages(self.user_id) if not m.deleted]

    async def _act(self, action: str, body: dict) -> None:
        before = len(self.inbox())
        url = f"{self.harness.emu.base_url}/_emulator/users/{self.user_id}/{action}"
        async with self.http.post(url, json=body) as response:
            assert response.status == 200, await response.text()
        await self.harness.settle(lambda: len(self.inbox()) > before)

    async def press(self, label: str) -> None:
        message = self.inbox()[-1]
        await self._act("press", {"message_id": message.message_id, "text": label})

    async def send(self, text: str) -> None:
        await self._act("send", {"text": text})


async def test_a_survey_runs_from_rest_to_responses_and_statistics(
    api, auth, emu, make_engine, harness
):
    users = await emu.create_users(3)
    ids = [u.id for u in users]
    batch = [{"telegramId": i, "firstName": f"U{n}"} for n, i in enumerate(ids)]
    response = await api.post("/api/v1/subscribers", json={"subscribers": batch}, headers=auth)
    assert response.status == 200, await response.text()
    body = {
        "name": "Feedback",
        "type": "data_collection",
        "messages": [{"content": "Two minutes of your time?"}],
        "settings": SURVEY,
    }
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    assert response.status == 201, await response.text()
    cid = (await response.json())["data"]["id"]
    response = await api.get(f"/api/v1/campaigns/{cid}", headers=auth)
    assert (await response.json())["data"]["settings"]["questions"][2]["required"] is False
    response = await api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    assert response.status == 200, await response.text()
    await make_engine(bot=harness.another_bot()).start()
    await harness.signal.wait_for(lambda: all(emu.messages(i) for i in ids), 20)

    async with aiohttp.ClientSession() as http:
        first, second, third = (Control(http, harness, i) for i in ids)
        await first.press("Blue")
        await first.press("4")
        await first.send("=cmd|' /C calc'!A0")  # a formula, to be defused in the CSV
        await second.press("Red")
        await second.press("2")
        await second.press("Skip")
        await third.press("Red")  # started, not finished
    assert first.inbox()[-1].text == "Thanks!" and second.inbox()[-1].text == "Thanks!"

    response = await api.get(f"/api/v1/campaigns/{cid}/responses?limit=2", headers=auth)
    assert response.status == 200, await response.text()
    data = (await response.json())["data"]
    assert data["questions"] == ["color", "score", "note"]
    assert data["pagination"] == {"page": 1, "limit": 2, "total": 3, "pages": 2}
    one, two = data["responses"]
    assert one["answers"] == {"color": "Blue", "score": 4, "note": "=cmd|' /C calc'!A0"}
    assert one["completed"] is True and one["completedAt"].endswith("Z")
    assert two["answers"] == {"color": "Red", "score": 2, "note": None}
    assert one["subscriberId"].startswith("sub_") and one["deliveryId"].startswith("dlv_")
    response = await api.get(f"/api/v1/campaigns/{cid}/responses?page=2&limit=2", headers=auth)
    [three] = (await response.json())["data"]["responses"]
    assert three["answers"] == {"color": "Red"} and three["completed"] is False
    assert "completedAt" not in three

    response = await api.get(f"/api/v1/campaigns/{cid}/responses?format=csv", headers=auth)
    assert response.status == 200 and response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0] == [
        "deliveryId", "subscriberId", "completed", "startedAt", "completedAt",
        "color", "score", "note",
    ]  # fmt: skip
    assert [row[5:] for row in rows[1:]] == [
        ["Blue", "4", "'=cmd|' /C calc'!A0"], ["Red", "2", ""], ["Red", "", ""],
    ]  # fmt: skip
    assert [row[2] for row in rows[1:]] == ["true", "true", "false"]

    response = await api.get(
        f"/api/v1/campaigns/{cid}/statistics?metrics=type,overview", headers=auth
    )
    assert response.status == 200, await response.text()
    stats = (await response.json())["data"]
    figures = stats["typeStatistics"]
    assert (figures["sent"], figures["started"], figures["completed"]) == (3, 3, 2)
    assert figures["completionRate"] == 66.7
    color, score, note = figures["questions"]
    assert color == {
        "key": "color", "type": "single_choice", "answered": 3, "skipped": 0,
        "options": {"Red": 2, "Blue": 1}, "mean": None,
    }  # fmt: skip
    assert score["options"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0} and score["mean"] == 3.0
    assert (note["answered"], note["skipped"], note["options"]) == (1, 1, None)


async def test_only_surveys_have_responses(api, auth):
    body = {"name": "Plain", "messages": [{"content": "Hi"}]}
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    cid = (await response.json())["data"]["id"]
    response = await api.get(f"/api/v1/campaigns/{cid}/responses", headers=auth)
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "NOT_A_SURVEY"
    response = await api.get("/api/v1/campaigns/camp_999999/responses", headers=auth)
    assert response.status == 404


async def test_a_survey_with_a_bad_question_is_refused_at_create(api, auth):
    body = {
        "name": "Broken",
        "type": "data_collection",
        "messages": [{"content": "Hi"}],
        "settings": {"questions": [{"key": "n", "text": "How many?", "type": "number",
                                    "min": 9, "max": 1}]},
    }  # fmt: skip
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert {d["field"] for d in error["details"]} == {"settings.questions[0]"}


async def test_a_completion_is_an_interaction_converted_webhook(
    api, auth, core, emu, make_engine, harness
):
    core.webhook_urls = UrlPolicy(allow_private=True, allow_http=True)  # a loopback receiver
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["interaction.converted"]}
    response = await api.post("/api/v1/webhooks", json=hook, headers=auth)
    assert response.status == 201, await response.text()
    [user] = await emu.create_users(1)
    batch = {"subscribers": [{"telegramId": user.id}]}
    await api.post("/api/v1/subscribers", json=batch, headers=auth)
    body = {
        "name": "One question",
        "type": "data_collection",
        "messages": [{"content": "Hi"}],
        "settings": {"questions": [{"key": "score", "text": "Rate us", "type": "rating"}]},
    }
    cid = (await (await api.post("/api/v1/campaigns", json=body, headers=auth)).json())["data"][
        "id"
    ]
    await api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    await make_engine(bot=harness.another_bot()).start()
    await harness.signal.wait_for(lambda: emu.messages(user.id), 20)
    async with aiohttp.ClientSession() as http:
        await Control(http, harness, user.id).press("3")
    assert emu.messages(user.id)[-1].text == "Thank you! Your answers are saved."
    async with core.uow() as uow:
        [queued] = await uow.session.scalars(select(WebhookDelivery))
    interaction = queued.payload["data"]["interaction"]
    assert interaction["deliveryId"].startswith("dlv_") and interaction["first"] is True
