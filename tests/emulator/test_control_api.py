"""The /_emulator control API over HTTP, as a person or another test suite would use it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from emulator.testing import make_token
from tests.emulator.conftest import user_ids


class Control:
    """Tiny JSON client for the control API."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self.http = http
        self.base = f"{base_url}/_emulator"

    async def __call__(self, verb: str, path: str, body: Any = None, **params: Any) -> Any:
        async with self.http.request(verb, self.base + path, json=body, params=params) as resp:
            self.status = resp.status
            return await resp.json()


@pytest.fixture
async def control(emu) -> AsyncIterator[Control]:
    async with aiohttp.ClientSession() as http:
        yield Control(http, emu.base_url)


async def test_users_bulk_single_and_listing(control):
    created = await control(
        "POST", "/users", {"count": 5, "blocked": 1, "deactivated": 1, "id_start": 900000001}
    )
    assert [u["id"] for u in created["users"]] == list(range(900000001, 900000006))
    single = await control("POST", "/users", {"id": 42, "first_name": "Ann", "username": "ann"})
    assert single["users"][0]["username"] == "ann" and single["users"][0]["status"] == "active"

    everyone = await control("GET", "/users")
    blocked = await control("GET", "/users", status="blocked")
    assert everyone["count"] == 26
    assert blocked["count"] == 3 and all(u["blocked"] for u in blocked["users"])
    assert (await control("GET", "/users/42"))["first_name"] == "Ann"
    await control("GET", "/users/7")
    assert control.status == 404
    await control("POST", "/users", {"id": 42})
    assert control.status == 409


async def test_generated_profiles_vary(control):
    users = (await control("GET", "/users"))["users"]
    assert len({u["first_name"] for u in users}) > 10
    assert len({u.get("language_code") for u in users}) > 5
    assert any("last_name" not in u for u in users) and any("username" not in u for u in users)


async def test_chats_and_migration(control, emu, bot):
    group = await control("POST", "/chats", {"type": "group", "title": "VIP", "members": [42]})
    assert control.status == 404  # unknown member
    group = (await control("POST", "/chats", {"type": "group", "title": "VIP"}))["chat"]
    assert group["id"] < 0 and group["type"] == "group"
    await bot.get_me()

    migrated = await control("POST", f"/chats/{group['id']}/migrate", {})
    assert migrated["old_chat_id"] == group["id"]
    assert str(migrated["new_chat_id"]).startswith("-100")
    chats = {c["id"]: c for c in (await control("GET", "/chats"))["chats"]}
    assert chats[group["id"]]["migrated_to"] == migrated["new_chat_id"]
    service = [u.message for u in await bot.get_updates()]
    assert service[0].migrate_to_chat_id == migrated["new_chat_id"]
    assert service[1].migrate_from_chat_id == group["id"]
    await control("POST", f"/chats/{group['id']}/migrate", {})
    assert control.status == 409


async def test_user_actions_and_reading_messages(control, emu, bot, token):
    await bot.get_me()
    uid = user_ids(emu)[0]
    sent = await control("POST", f"/users/{uid}/send", {"token": token, "text": "/start x"})
    assert sent["update"]["message"]["entities"][0]["type"] == "bot_command"
    photo = await control("POST", f"/users/{uid}/photo", {"caption": "look"})
    assert photo["update"]["message"]["caption"] == "look"

    keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    message = await bot.send_message(uid, "Choose", reply_markup=keyboard)
    press = await control("POST", f"/users/{uid}/press", {"message_id": message.message_id})
    assert press["kind"] == "callback_query"
    await bot.answer_callback_query(press["callback_query_id"], text="Done")
    queries = (await control("GET", "/callback_queries"))["callback_queries"]
    assert queries[0]["answered"] is True and queries[0]["answer_text"] == "Done"

    out = await control("GET", f"/chats/{uid}/messages")
    every = await control("GET", f"/chats/{uid}/messages", direction="all")
    assert [m["text"] for m in out["messages"]] == ["Choose"]
    assert [m["direction"] for m in every["messages"]] == ["in", "in", "out"]
    assert out["messages"][0]["reply_markup"] == keyboard

    blocked = await control("POST", f"/users/{uid}/block", {})
    assert blocked["update"]["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    unblocked = await control("POST", f"/users/{uid}/unblock", {})
    assert unblocked["update"]["my_chat_member"]["new_chat_member"]["status"] == "member"


async def test_actions_need_a_token_when_several_bots_are_known(control, emu, bot_factory):
    for bot_id in (1, 2):
        await bot_factory(make_token(bot_id)).get_me()
    uid = user_ids(emu)[0]
    reply = await control("POST", f"/users/{uid}/send", {"text": "hi"})
    assert control.status == 400 and "token is required" in reply["error"]


async def test_stats_config_bots_and_reset(control, emu, bot, token):
    uid = user_ids(emu)[0]
    await bot.send_message(uid, "counted")

    stats = await control("GET", "/stats", times="1")
    mine = stats["bots"][token]
    assert mine["accepted"] == 1 and len(mine["send_times"]) == 1
    assert mine["requests"] == {"sendMessage": 1}
    assert stats["totals"]["accepted"] == 1
    bots = (await control("GET", "/bots"))["bots"]
    assert bots[0]["bot_id"] == 777000111

    config = await control("PATCH", "/config", {"global_rate": 5, "rejected_tokens": ["1:x"]})
    assert config["global_rate"] == 5 and config["rejected_tokens"] == ["1:x"]
    await control("PATCH", "/config", {"global_rate": "fast"})
    assert control.status == 400
    await control("PATCH", "/config", {"users": 3})
    assert control.status == 400

    await control("POST", "/reset", {})
    assert emu.messages(uid) == [] and (await control("GET", "/stats"))["bots"] == {}
    assert (await control("GET", "/health"))["users"] == 20
    await control("POST", "/reset", {"keep_users": False})
    assert (await control("GET", "/users"))["count"] == 0


async def test_bad_requests_are_json_errors(control):
    async with control.http.post(f"{control.base}/users", data=b"{oops") as response:
        assert response.status == 400
        assert "error" in await response.json()
    await control("POST", "/users/abc/send", {"text": "x"})
    assert control.status == 400
