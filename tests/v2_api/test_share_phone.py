"""A subscriber shares their phone number with the bot's button; a v2 campaign can name it."""

from __future__ import annotations

import json

from sqlalchemy import select

from storage.models import Subscriber
from tests.bot.conftest import harness  # noqa: F401  # the in-process bot of tests/bot
from tests.bot.helpers import Person
from tests.v2_api.conftest import add_subscriber


def share_contact(harness, user, phone_number, user_id=None):  # noqa: F811
    """The user presses the request_contact button (Telegram sends a contact message)."""
    message = {
        "message_id": 10_000 + len(harness.emu.messages(user.id, direction=None)),
        "from": user.user_api,
        "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
        "date": harness.emu.state.unix_time(),
        "contact": {"phone_number": phone_number, "first_name": user.first_name,
                    "user_id": user.id if user_id is None else user_id},
    }  # fmt: skip
    harness.emu.bot_state(harness.bot.token).updates.push("message", message)


async def phone_of(core, telegram_id):
    async with core.uow() as uow:
        return await uow.session.scalar(
            select(Subscriber.phone).where(Subscriber.telegram_id == telegram_id)
        )


async def test_start_offers_the_button_and_a_shared_number_is_kept(core, harness, v2, actor):  # noqa: F811
    user = await harness.emu.create_user(first_name="Ann")
    ann = Person(harness, user.id)
    (greeting,) = await ann.says("/start")
    (row,) = greeting.reply_markup["keyboard"]
    assert row == [{"text": "Share phone number", "request_contact": True}]

    share_contact(harness, user, "+1 555 000 1234", user_id=user.id + 1)  # someone else's card
    await harness.deliver()
    assert ann.inbox()[-1].text == "Please share your own number with the button."
    assert await phone_of(core, user.id) is None

    share_contact(harness, user, "15550001234")  # Telegram sends it without the +
    await harness.deliver()
    thanks = ann.inbox()[-1]
    assert thanks.text == "Thanks, +15550001234 is saved."
    assert thanks.reply_markup == {"remove_keyboard": True}
    assert await phone_of(core, user.id) == "+15550001234"

    (again,) = await ann.says("/start")
    assert again.reply_markup is None  # the number is known: no button

    await add_subscriber(core, actor, 4242)
    call = json.dumps({"method": "sendMessage", "text": "Hi {{1}}"})
    status, created = await v2.create({"Name": "By phone", "JSON": call, "Clients": [
        {"AccountID": "+1 (555) 000-1234", "Params": ["Ann"]},
        {"AccountID": "4242", "Params": ["Other"]},
    ]})  # fmt: skip
    assert status == 200, created
    statuses = [(m["AccountID"], m["Status"], m["Error"]) for m in await v2.messages(created["ID"])]
    assert statuses == [("+1 (555) 000-1234", "pending", ""), ("4242", "pending", "")]
