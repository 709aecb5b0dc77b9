"""The service's JSON session: the same calls, answers and refusals as aiogram's form session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import orjson
import pytest
from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.methods import SendDocument, SendMessage
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from core.delivery.content import Content, send_content
from core.telegram_session import JsonSession
from emulator.config import EmulatorConfig
from emulator.testing import EmulatorServer
from tests.conftest import service_bot

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [InlineKeyboardButton(text="Shop", url="https://example.com/sale")],
        [InlineKeyboardButton(text="Later", callback_data="later:1")],
    ]
)
HTML = "<b>Autumn</b> sale: <i>up to 40%</i> off"


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """A small bot-wide limit, so a 429 is three sends away."""
    return EmulatorConfig(users=0, groups=0, supergroups=0, migrated_groups=0, global_rate=2)


@pytest.fixture
async def json_bot(emu: EmulatorServer) -> AsyncIterator[Bot]:
    """A Bot with the service's session."""
    bot = service_bot(emu)
    assert isinstance(bot.session, JsonSession)
    yield bot
    await bot.session.close()


def delivered(emu: EmulatorServer, chat_id: int) -> dict[str, object]:
    """What the emulator stored of the last message to `chat_id`."""
    record = emu.messages(chat_id)[-1]
    return {
        "text": record.text,
        "entities": record.entities,
        "parse_mode": record.parse_mode,
        "reply_markup": record.reply_markup,
        "allow_paid_broadcast": record.allow_paid_broadcast,
    }


async def test_calls_without_files_go_out_as_json(json_bot):
    method = SendMessage(chat_id=5, text="hi", reply_markup=KEYBOARD, allow_paid_broadcast=True)
    body = json_bot.session.json_body(json_bot, method)
    assert body is not None
    sent = orjson.loads(body)
    # Objects travel nested, not as JSON strings; unset fields are left out, as in a form.
    assert sent["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "Shop",
        "url": "https://example.com/sale",
    }
    assert sent["chat_id"] == 5 and sent["allow_paid_broadcast"] is True
    assert None not in sent.values()
    upload = SendDocument(chat_id=5, document=BufferedInputFile(b"x", "a.txt"))
    assert json_bot.session.json_body(json_bot, upload) is None


async def test_keyboard_and_parse_mode_arrive_as_through_the_form_session(emu, json_bot):
    json_user, form_user = await emu.create_user(id=201), await emu.create_user(id=202)
    form_bot = emu.make_bot(json_bot.token)  # aiogram's stock session, form-encoded
    try:
        for bot, user in ((json_bot, json_user), (form_bot, form_user)):
            message = await bot.send_message(
                user.id, HTML, parse_mode="HTML", reply_markup=KEYBOARD, allow_paid_broadcast=True
            )
            assert message.chat.id == user.id and message.text == "Autumn sale: up to 40% off"
    finally:
        await form_bot.session.close()
    assert delivered(emu, json_user.id) == delivered(emu, form_user.id)
    assert delivered(emu, json_user.id)["reply_markup"] == KEYBOARD.model_dump(exclude_none=True)
    assert delivered(emu, json_user.id)["allow_paid_broadcast"] is True


async def test_broadcast_content_reaches_the_emulator_intact(emu, json_bot):
    user = await emu.create_user(id=203, first_name="Ada")
    content = Content(
        text="Hi <b>{first_name}</b>!",
        parse_mode="HTML",
        media_type=None,
        media=None,
        buttons=(({"text": "Open", "url": "https://example.com"}, {"text": "Like"}),),
    )
    sent = await send_content(
        json_bot, user.id, content, delivery_id=77, recipient={"first_name": "Ada"}, paid=True
    )
    record = emu.messages(user.id)[-1]
    assert sent.message_id == record.message_id
    assert record.text == "Hi Ada!" and record.entities[0]["type"] == "bold"
    assert record.allow_paid_broadcast is True
    buttons = record.reply_markup["inline_keyboard"][0]
    assert buttons[0]["url"] == "https://example.com" and buttons[1]["callback_data"] == "cb:77:1"


async def test_uploads_keep_aiogram_multipart_path(emu, json_bot):
    user = await emu.create_user(id=204)
    document = BufferedInputFile(b"price list", filename="prices.txt")
    message = await json_bot.send_document(user.id, document, caption="Prices")
    assert message.document is not None and message.document.file_name == "prices.txt"
    assert emu.messages(user.id)[-1].caption == "Prices"


async def test_refusals_raise_aiogram_exceptions(emu, json_bot):
    blocked = await emu.create_user(id=205, blocked=True)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await json_bot.send_message(blocked.id, "x")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await json_bot.send_message(999_999_999, "x")
    group = await emu.create_chat(type="group")
    moved = await emu.migrate_chat(group.id)
    with pytest.raises(TelegramMigrateToChat) as raised:
        await json_bot.send_message(group.id, "x")
    assert raised.value.migrate_to_chat_id == moved["new_chat_id"]


async def test_429_raises_retry_after(emu, json_bot):
    users = [await emu.create_user(id=210 + i) for i in range(3)]
    results = await asyncio.gather(
        *(json_bot.send_message(u.id, "promo") for u in users), return_exceptions=True
    )
    limited = [r for r in results if isinstance(r, TelegramRetryAfter)]
    assert len(limited) == 1 and limited[0].retry_after == 1
    assert emu.stats(json_bot.token)["bots"][json_bot.token]["rate_limited"] == 1
