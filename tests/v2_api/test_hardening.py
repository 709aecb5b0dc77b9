"""What a hostile or careless v2 client may send: never a 500, never another chat, never
another tenant's campaign."""

from __future__ import annotations

import json

import pytest

from core.v2_rules import NAME_CONTROL, SEND_AT_FORMAT
from tests.v2_api.conftest import add_subscriber

TEXT = {"method": "sendMessage", "text": "Hello {{1}}"}


@pytest.fixture
async def two(core, actor):
    """Two subscribers named by Telegram id."""
    await add_subscriber(core, actor, 8001)
    await add_subscriber(core, actor, 8002)
    return [{"AccountID": "8001", "Params": ["Ann"]}, {"AccountID": "8002", "Params": ["Bo"]}]


def _create(two, **fields):
    return {"Name": "n", "JSON": json.dumps(TEXT), "Clients": two, **fields}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"TempMsgID": "²"}, "invalid request: template not found"),
        ({"TempMsgID": "9" * 5000}, "invalid request: template not found"),
        ({"SendAt": "9999-12-31T23:59:59-23:59"}, SEND_AT_FORMAT),
        ({"SendAt": "2030-01-01T00:00:00"}, SEND_AT_FORMAT),  # no zone
        ({"Name": "line\nbreak"}, NAME_CONTROL),
        ({"Name": "bell\x07"}, NAME_CONTROL),
    ],
)
async def test_odd_values_are_400s_with_a_message(v2, two, fields, message):
    assert await v2.create(_create(two, **fields)) == (400, {"error": message})


@pytest.mark.parametrize("query", ["resultSize=" + "9" * 5000, "resultSize=" + "0" * 30 + "1"])
async def test_long_numbers_in_queries_are_read_without_a_500(v2, two, query):
    status, body = await v2.call("GET", f"/getAll?{query}")
    assert status == 200, body
    status, body = await v2.call("GET", "/getCampMsgs?campaignID=" + "9" * 5000)
    assert (status, body) == (404, {"error": "campaign not found"})


@pytest.mark.parametrize(
    ("call", "complaint"),
    [
        ({**TEXT, "reply_parameters": {"message_id": 5, "chat_id": 777}}, "may not reply"),
        ({**TEXT, "reply_to_message_id": 5}, "may not reply"),
        ({**TEXT, "reply_markup": {"inline_keyboard": [[{"text": "x", "callback_data": "cb:1:0"}]]}},
         "reply_markup buttons"),
        ({**TEXT, "reply_markup": {"keyboard": [[{"text": "x", "request_contact": True}]]}},
         "inline_keyboard"),
        ({**TEXT, "reply_markup": 5}, "inline_keyboard"),
        ({**TEXT, "reply_markup": {"inline_keyboard": [[{"text": "x", "url": "javascript:1"}]]}},
         "reply_markup buttons"),
    ],
)  # fmt: skip
async def test_a_description_cannot_reach_another_chat_or_the_bots_own_buttons(
    v2, two, call, complaint
):
    status, body = await v2.create(_create(two, JSON=json.dumps(call)))
    assert status == 400 and complaint in body["error"], body


async def test_url_buttons_are_sent(v2, two, emu, make_engine, core, actor):
    # Telegram ids the emulator knows, so the send really happens.
    users = await emu.create_users(2)
    for user in users:
        await add_subscriber(core, actor, user.id)
    clients = [{"AccountID": str(u.id), "Params": ["x"]} for u in users]
    call = {**TEXT, "reply_markup": {"inline_keyboard": [[{"text": "Site", "url": "https://e.x"}]]}}
    status, body = await v2.create({"Name": "n", "JSON": json.dumps(call), "Clients": clients})
    assert status == 200, body
    await make_engine().start()
    await emu.wait_until(lambda: emu.stats()["totals"]["accepted"] == 2, within=10)
    [message] = [m for m in emu.messages(users[0].id) if not m.deleted]
    assert message.reply_markup == {"inline_keyboard": [[{"text": "Site", "url": "https://e.x"}]]}


async def test_another_tenant_cannot_resend_rename_or_list_a_campaign(v2, two, other_auth):
    status, created = await v2.create(_create(two, SendAt="2099-01-01T00:00:00Z"))
    assert status == 200, created
    keys = [m["MessageKey"] for m in await v2.messages(created["ID"])]
    own_key = v2.key
    v2.key = other_auth["X-API-Key"]
    assert await v2.call("POST", "/resendMsg", json={"MessageKey": keys[0]}) == (
        404, {"error": "message not found"})  # fmt: skip
    rename = {"ID": created["ID"], "Name": "mine now"}
    assert await v2.call("PUT", "/update", json=rename) == (404, {"error": "campaign not found"})
    status, listed = await v2.call("GET", "/getAll")
    assert status == 200 and listed["Campaigns"] == []
    v2.key = own_key
    status, mine = await v2.call("GET", "/getAll")
    assert [c["Name"] for c in mine["Campaigns"]] == ["n"]
