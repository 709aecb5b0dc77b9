"""v2 campaigns sent for real: through the delivery engine to the emulator, each recipient with
its own params; one stable message key each; a failed message resent once; Telegram's refusal
of the bot's token as a 502."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from core.recipients import store_shared_phone
from core.scheduling.runs import fire_campaign
from core.templates import TemplateInput, save_template
from tests.v2_api.conftest import add_subscriber, add_template, wait_for

CALL = json.dumps({"method": "sendMessage", "text": "Hi {{1}}, your code is {{2}}."})
OPEN = {"pending", "sending", "scheduled"}


def received(emu, chat_id):
    return [m for m in emu.messages(chat_id) if not m.deleted]


async def settled(v2, campaign_id):
    """The campaign's messages once none is still to be sent."""

    async def done():
        return not OPEN & {m["Status"] for m in await v2.messages(campaign_id)}

    await wait_for(done)
    return await v2.messages(campaign_id)


@pytest.fixture
async def audience(core, actor, emu):
    """Ann is named by Telegram id, Bo by @username, Cy by the phone number she shared."""
    ann = await emu.create_user(first_name="Ann")
    bo = await emu.create_user(first_name="Bo", username="bo_bot_fan")
    cy = await emu.create_user(first_name="Cy")
    await add_subscriber(core, actor, ann.id)
    await add_subscriber(core, actor, bo.id, username="bo_bot_fan")
    await add_subscriber(core, actor, cy.id, phone="+44 20 7946 0000")
    return ann, bo, cy


async def test_each_recipient_gets_the_call_with_its_own_params(v2, emu, make_engine, audience):
    ann, bo, cy = audience
    await make_engine().start()
    clients = [
        {"AccountID": str(ann.id), "Params": ["Ann", "A-1"]},
        {"AccountID": "@Bo_Bot_Fan", "Params": ["Bo", "B-2"]},
        {"AccountID": "+442079460000", "Params": ["Cy", "C-3"]},
        {"AccountID": "+15550001111", "Params": ["Nobody", "N-4"]},
        {"AccountID": "hello there", "Params": ["?", "?"]},
        {"AccountID": f"@{'bo_bot_fan'.upper()}", "Params": ["Bo again", "B-5"]},
    ]
    status, created = await v2.create({"Name": "Codes", "JSON": CALL, "Clients": clients})
    assert status == 200, created
    assert created["Status"] == "active" and created["Total"] == 6

    messages = await settled(v2, created["ID"])
    assert [m["Status"] for m in messages] == ["sent", "sent", "sent", "failed", "failed", "failed"]
    assert [m["Error"] for m in messages[3:]] == [
        "no subscriber has shared the phone number +15550001111 with the bot",
        "AccountID 'hello there' is not a Telegram user id, an @username or a +phone number",
        "same Telegram user as the earlier client @Bo_Bot_Fan: sent once",
    ]
    for user, text in ((ann, "Hi Ann, your code is A-1."), (bo, "Hi Bo, your code is B-2."),
                       (cy, "Hi Cy, your code is C-3.")):  # fmt: skip
        assert [m.text for m in received(emu, user.id)] == [text]
    sent = messages[0]
    assert sent["TelegramMessageID"] == received(emu, ann.id)[0].message_id
    assert sent["SentAt"] and sent["AccountID"] == str(ann.id) and sent["Params"] == ["Ann", "A-1"]

    keys = [m["MessageKey"] for m in messages]
    assert len(set(keys)) == 6 and all(re.fullmatch(r"[0-9A-F]{30}", k) for k in keys)
    assert [m["MessageKey"] for m in await v2.messages(created["ID"])] == keys  # stable
    status, limited = await v2.call("GET", f"/getCampMsgs?campaignID={created['ID']}&resultSize=2")
    assert [m["MessageKey"] for m in limited["Messages"]] == keys[:2]

    async def completed():
        _, page = await v2.call("GET", "/getAll")
        return page["Campaigns"][0]["Status"] == "completed"

    await wait_for(completed)
    _, page = await v2.call("GET", "/getAll")
    campaign = page["Campaigns"][0]
    assert (campaign["SentCount"], campaign["DeliveredCount"], campaign["FailedCount"]) == (3, 3, 3)


async def test_a_photo_takes_its_caption_from_the_body(v2, emu, make_engine, audience, core, actor):
    ann, bo, _ = audience
    template_id = await add_template(core, actor, "Hello {{2}}!")
    call = json.dumps({"method": "sendPhoto", "photo": "{{1}}", "parse_mode": "HTML"})
    clients = [{"AccountID": str(ann.id), "Params": ["https://example.com/a.png", "<Ann>"]},
               {"AccountID": str(bo.id), "Params": ["https://example.com/b.png", "Bo"]}]  # fmt: skip
    await make_engine().start()
    status, created = await v2.create(
        {"Name": "Pics", "TempMsgID": f"tmpl_{template_id}", "JSON": call, "Clients": clients}
    )
    assert status == 200, created
    assert [m["Status"] for m in await settled(v2, created["ID"])] == ["sent", "sent"]
    (photo,) = received(emu, ann.id)
    assert (photo.media_kind, photo.caption) == ("photo", "Hello <Ann>!")  # escaped for HTML
    assert photo.parse_mode == "HTML"
    assert received(emu, bo.id)[0].caption == "Hello Bo!"


async def test_a_failed_message_is_resent_once_and_others_are_refused(
    v2, emu, make_engine, audience, core, actor
):
    ann, _, _ = audience
    await add_subscriber(core, actor, 990_001)  # a subscriber whose chat Telegram does not know
    await make_engine().start()
    clients = [{"AccountID": str(ann.id), "Params": ["Ann", "A-1"]},
               {"AccountID": "990001", "Params": ["Dee", "D-2"]},
               {"AccountID": "+49301234567", "Params": ["Eve", "E-3"]}]  # fmt: skip
    status, created = await v2.create({"Name": "Retry", "JSON": CALL, "Clients": clients})
    assert status == 200
    sent, lost, unknown_phone = await settled(v2, created["ID"])
    assert (lost["Status"], lost["Error"]) == (
        "failed",
        "CHAT_NOT_FOUND: Bad Request: chat not found",
    )

    async def resend(message):
        return await v2.call("POST", "/resendMsg", json={"messageKey": message["MessageKey"]})

    assert await resend(sent) == (
        400,
        {"error": "only failed or unknown messages can be resent; this one is sent"},
    )
    await emu.create_user(id=990_001, first_name="Dee")  # the chat exists now
    assert await resend(lost) == (
        200,
        {"MessageKey": lost["MessageKey"], "Status": "pending", "Message": "resend queued"},
    )
    assert await resend(lost) == (400, {"error": "message was already resent once"})
    again = (await settled(v2, created["ID"]))[1]
    assert (again["Status"], again["Error"], again["Resent"]) == ("sent", "", True)
    assert again["MessageKey"] == lost["MessageKey"]
    assert [m.text for m in received(emu, 990_001)] == ["Hi Dee, your code is D-2."]
    assert len(received(emu, ann.id)) == 1  # nobody else was sent anything again

    # An account that did not resolve is looked up again: Eve has shared her phone since.
    assert await resend(unknown_phone) == (
        400,
        {"error": "cannot resend: no subscriber has shared the phone number +49301234567 "
                  "with the bot"},
    )  # fmt: skip
    eve = await emu.create_user(first_name="Eve")
    await add_subscriber(core, actor, eve.id)
    async with core.uow() as uow:
        await store_shared_phone(uow, actor.tenant_id, eve.id, "49301234567")
    status, _ = await resend(unknown_phone)
    assert status == 200
    assert (await settled(v2, created["ID"]))[2]["Status"] == "sent"
    assert [m.text for m in received(emu, eve.id)] == ["Hi Eve, your code is E-3."]


async def test_telegram_rejecting_the_token_is_a_502_and_stores_nothing(v2_checked, core, actor):
    await add_subscriber(core, actor, 8001)
    await add_subscriber(core, actor, 8002)
    body = {"Name": "n", "JSON": CALL,
            "Clients": [{"AccountID": "8001", "Params": ["a", "b"]},
                        {"AccountID": "8002", "Params": ["c", "d"]}]}  # fmt: skip
    assert await v2_checked.create(body) == (
        502,
        {"error": "upstream: Telegram rejected the bot token (Unauthorized)"},
    )
    assert await v2_checked.call("GET", "/getAll") == (200, {"Campaigns": [], "Total": 0})


async def test_a_template_without_json_sends_its_media_with_the_body(
    v2, emu, make_engine, audience, core, actor
):
    ann, bo, _ = audience
    async with core.uow() as uow:
        template = await save_template(uow, actor, TemplateInput.model_validate({
            "name": "Poster", "content": "Hello {{1}}",
            "media": {"type": "photo", "url": "https://example.com/poster.png"},
        }))  # fmt: skip
    clients = [{"AccountID": str(ann.id), "Params": ["Ann"]},
               {"AccountID": str(bo.id), "Params": ["Bo"]}]  # fmt: skip
    await make_engine().start()
    status, created = await v2.create({"Name": "Poster", "TempMsgID": str(template.id),
                                       "Clients": clients})  # fmt: skip
    assert status == 200, created
    assert json.loads(created["JSON"]) == {
        "method": "sendPhoto",
        "photo": "https://example.com/poster.png",
    }
    assert [m["Status"] for m in await settled(v2, created["ID"])] == ["sent", "sent"]
    (photo,) = received(emu, bo.id)
    assert (photo.media_kind, photo.caption) == ("photo", "Hello Bo")


async def test_a_scheduled_campaign_is_sent_when_its_time_comes(
    v2, emu, make_engine, audience, core, clock
):
    ann, bo, _ = audience
    status, created = await v2.create({"Name": "Later", "JSON": CALL, "SendAt": "2099-01-01T00:00:00Z",
                                       "Clients": [{"AccountID": str(ann.id), "Params": ["Ann", "1"]},
                                                   {"AccountID": str(bo.id), "Params": ["Bo", "2"]}]})  # fmt: skip
    assert status == 200, created
    assert {m["Status"] for m in await v2.messages(created["ID"])} == {"scheduled"}
    await make_engine().start()
    clock.set(datetime(2099, 1, 1, tzinfo=UTC))
    async with core.uow() as uow:  # what the scheduler's timer does at that time
        assert await fire_campaign(uow, created["ID"], datetime(2099, 1, 1, tzinfo=UTC))
    assert [m["Status"] for m in await settled(v2, created["ID"])] == ["sent", "sent"]
    assert [m.text for m in received(emu, bo.id)] == ["Hi Bo, your code is 2."]
