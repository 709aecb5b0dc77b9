"""Custom campaigns end to end: created over REST, sent by the engine through the emulator,
each recipient gets the allow-listed call filled with their own values."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from sqlalchemy import select

from core.context import CoreContext
from core.delivery.content import CampaignButton
from core.interactions import record_click
from emulator.testing import EmulatorServer
from emulator.world import VirtualUser
from storage.models import Campaign, Delivery
from tests.delivery.conftest import wait_for_status

URL = "/api/v1/campaigns"
# Custom campaigns send their call: a message they carry is not sent.
IGNORED = [{"content": "not sent: a custom campaign sends its call"}]
CITIES = {"Ann": ("52.52", "Berlin"), "Bob": ("48.85", "Paris"), "Cem": ("41.01", "Istanbul")}


@pytest.fixture
async def people(api, auth, emu: EmulatorServer) -> list[VirtualUser]:
    """Three subscribers, each with a city of their own among their attributes."""
    users = [await emu.create_user(first_name=name) for name in CITIES]
    batch = [
        {"telegramId": user.id, "firstName": name,
         "attributes": {"lat": CITIES[name][0], "city": CITIES[name][1]}}
        for user, name in zip(users, CITIES, strict=True)
    ]  # fmt: skip
    response = await api.post("/api/v1/subscribers", json={"subscribers": batch}, headers=auth)
    assert response.status == 200, await response.text()
    return users


async def run(api, auth, core: CoreContext, make_engine, settings: dict[str, Any], **fields: Any) -> int:  # fmt: skip
    """Create a custom campaign over REST, execute it and let the engine finish it."""
    body = {"name": "Custom", "type": "custom", "settings": settings, "messages": IGNORED, **fields}
    response = await api.post(URL, json=body, headers=auth)
    assert response.status == 201, await response.text()
    campaign_id = (await response.json())["data"]["id"]
    executed = await api.post(f"{URL}/{campaign_id}/execute", headers=auth)
    assert executed.status == 200, await executed.text()
    await make_engine().start()
    number = int(campaign_id.removeprefix("camp_"))
    await wait_for_status(core, number, {"completed", "failed"})
    return number


def only_message(emu: EmulatorServer, user: VirtualUser) -> Any:
    """The one message a recipient got."""
    (record,) = emu.messages(user.id)
    return record


async def test_dice_reach_each_recipient_with_a_button_of_their_own(
    api, auth, core, emu, make_engine, people
):
    params = {"emoji": "🎯", "reply_markup": {"inline_keyboard": [[{"text": "Bullseye!"}]]}}
    await run(api, auth, core, make_engine, {"method": "sendDice", "params": params})
    deliveries = set()
    for user in people:
        record = only_message(emu, user)
        assert (record.method, record.message["dice"]["emoji"]) == ("sendDice", "🎯")
        assert 1 <= record.message["dice"]["value"] <= 6
        ((button,),) = record.reply_markup["inline_keyboard"]
        assert button["text"] == "Bullseye!"
        deliveries.add(CampaignButton.unpack(button["callback_data"]).delivery_id)
    async with core.uow() as uow:
        assert deliveries == set((await uow.session.scalars(select(Delivery.id))).all())


async def test_a_contact_card_is_personalised(api, auth, core, emu, make_engine, people):
    params = {"phone_number": "+49 30 1234567", "first_name": "Desk for {first_name}"}
    await run(api, auth, core, make_engine, {"method": "sendContact", "params": params})
    for user, name in zip(people, CITIES, strict=True):
        contact = only_message(emu, user).message["contact"]
        assert contact == {"phone_number": "+49 30 1234567", "first_name": f"Desk for {name}"}


async def test_a_location_comes_from_each_recipients_attributes(
    api, auth, core, emu, make_engine, people
):
    params = {"latitude": "{attributes.lat}", "longitude": 13.4, "horizontal_accuracy": 50}
    await run(api, auth, core, make_engine, {"method": "sendLocation", "params": params})
    for user, (lat, _) in zip(people, CITIES.values(), strict=True):
        location = only_message(emu, user).message["location"]
        assert (location["latitude"], location["longitude"]) == (float(lat), 13.4)
        assert location["horizontal_accuracy"] == 50


async def test_a_venue_is_personalised_with_a_counted_button(
    api, auth, core, emu, make_engine, people
):
    params = {
        "latitude": 52.5, "longitude": 13.4,
        "title": "{first_name}'s table", "address": "Our shop in {attributes.city}",
        "reply_markup": {"inline_keyboard": [[{"text": "Map", "url": "https://maps.example/?q={attributes.city}&u={first_name}"},
                                              {"text": "I'll come"}]]},
    }  # fmt: skip
    campaign_id = await run(api, auth, core, make_engine, {"method": "sendVenue", "params": params})
    for user, (name, (_, city)) in zip(people, CITIES.items(), strict=True):
        record = only_message(emu, user)
        venue = record.message["venue"]
        assert (venue["title"], venue["address"]) == (f"{name}'s table", f"Our shop in {city}")
        link, press = record.reply_markup["inline_keyboard"][0]
        assert link["url"] == f"https://maps.example/?q={city}&u={name}"
        # The text-only button carries its delivery: a press counts as that recipient's click.
        button = CampaignButton.unpack(press["callback_data"])
        assert button.index == 1
    ann = people[0]
    data = only_message(emu, ann).reply_markup["inline_keyboard"][0][1]["callback_data"]
    async with core.uow() as uow:
        assert await record_click(uow, CampaignButton.unpack(data).delivery_id, 1, ann.id)
        await uow.commit()
    async with core.uow() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        assert campaign is not None and campaign.clicked_count == 1


async def test_a_channel_post_is_copied_with_a_personalised_caption(
    api, auth, core, emu, make_engine, people, bot: Bot
):
    post = await bot.send_photo("@emu_channel_1", "https://cdn.example.com/sale.jpg",
                                caption="Spring sale")  # fmt: skip
    params = {
        "from_chat_id": post.chat.id,
        "message_id": post.message_id,
        "caption": "<b>{first_name}</b>, the spring sale is on",
        "parse_mode": "HTML",
    }
    await run(api, auth, core, make_engine, {"method": "copyMessage", "params": params})
    for user, name in zip(people, CITIES, strict=True):
        record = only_message(emu, user)
        assert record.origin == {"chat_id": post.chat.id, "message_id": post.message_id}
        assert (record.media_kind, record.caption) == ("photo", f"{name}, the spring sale is on")
        assert record.caption_entities[0]["type"] == "bold"
    async with core.uow() as uow:
        ids = {d.message_id for d in (await uow.session.scalars(select(Delivery))).all()}
    assert ids == {only_message(emu, user).message_id for user in people}


async def test_a_photo_caption_is_personalised_and_escaped(
    api, auth, core, emu, make_engine, people
):
    # A name that needs escaping under HTML.
    response = await api.post("/api/v1/subscribers", headers=auth, json={
        "subscribers": [{"telegramId": people[0].id, "firstName": "Ann <&> Co"}]})  # fmt: skip
    assert response.status == 200
    params = {
        "photo": "https://cdn.example.com/{attributes.city}.jpg",
        "caption": "<i>{first_name}</i>: 20% off",
        "parse_mode": "HTML",
        "has_spoiler": True,
    }
    await run(api, auth, core, make_engine, {"method": "sendPhoto", "params": params},
              allowPaidBroadcast=True)  # fmt: skip
    names = ["Ann <&> Co", "Bob", "Cem"]
    for user, name, (_, city) in zip(people, names, CITIES.values(), strict=True):
        record = only_message(emu, user)
        assert (record.method, record.caption) == ("sendPhoto", f"{name}: 20% off")
        assert record.caption_entities[0] == {"type": "italic", "offset": 0, "length": len(name)}
        assert record.media["reference"] == f"https://cdn.example.com/{city}.jpg"
        assert record.message["has_media_spoiler"] and record.allow_paid_broadcast


async def test_a_value_that_makes_a_bad_call_fails_that_recipient_alone(
    api, auth, core, emu, make_engine, people
):
    response = await api.post("/api/v1/subscribers", headers=auth, json={
        "subscribers": [{"telegramId": people[1].id, "attributes": {"lat": "north"}}]})  # fmt: skip
    assert response.status == 200
    params = {"latitude": "{attributes.lat}", "longitude": 2.35}
    await run(api, auth, core, make_engine, {"method": "sendLocation", "params": params})
    assert [len(emu.messages(user.id)) for user in people] == [1, 0, 1]
    async with core.uow() as uow:
        rows = (await uow.session.scalars(select(Delivery).order_by(Delivery.chat_id))).all()
    # Refused before anything was sent: a plain failure, never `unknown`.
    assert [row.status for row in rows] == ["sent", "failed", "sent"]
    assert (rows[1].error_code, rows[1].message_id) == ("MESSAGE_INVALID", None)
    assert "parameter 'latitude': Input should be a valid number" in str(rows[1].error_detail)


async def test_without_a_method_a_custom_campaign_sends_its_message(
    api, auth, core, emu, make_engine, people
):
    messages = [{"content": "Hello {first_name}"}]
    await run(api, auth, core, make_engine, {}, messages=messages)
    assert [only_message(emu, user).text for user in people] == ["Hello Ann", "Hello Bob", "Hello Cem"]  # fmt: skip


async def test_a_custom_campaign_needs_no_message(api, auth, people):
    body = {"name": "Dice", "type": "custom", "settings": {"method": "sendDice", "params": {}}}
    response = await api.post(URL, json=body, headers=auth)
    campaign_id = (await response.json())["data"]["id"]
    executed = await api.post(f"{URL}/{campaign_id}/execute", headers=auth)
    assert executed.status == 200, await executed.text()


# Media and buttons in the types that send a message (issue 14, item 5) ---------------------


async def test_a_message_campaign_sends_media_buttons_and_personalisation(
    api, auth, core, emu, make_engine, people
):
    message = {
        "content": "<b>{first_name}</b>, new in {attributes.city|town}",
        "parseMode": "HTML",
        "media": {"type": "video", "url": "https://cdn.example.com/new.mp4"},
        "buttons": [[{"text": "Shop", "url": "https://shop.example"}, {"text": "Later", "callbackData": "later"}]],
    }  # fmt: skip
    body = {"name": "New in", "messages": [message]}
    response = await api.post(URL, json=body, headers=auth)
    campaign_id = (await response.json())["data"]["id"]
    assert (await api.post(f"{URL}/{campaign_id}/execute", headers=auth)).status == 200
    await make_engine().start()
    await wait_for_status(core, int(campaign_id.removeprefix("camp_")), {"completed"})
    for user, (name, (_, city)) in zip(people, CITIES.items(), strict=True):
        record = only_message(emu, user)
        assert (record.method, record.caption) == ("sendVideo", f"{name}, new in {city}")
        assert record.media["reference"] == "https://cdn.example.com/new.mp4"
        assert record.caption_entities[0]["type"] == "bold"
        link, press = record.reply_markup["inline_keyboard"][0]
        assert link["url"] == "https://shop.example"
        assert CampaignButton.unpack(press["callback_data"]).index == 1
