"""Every Telegram error shape the emulator produces, as seen through aiogram."""

from __future__ import annotations

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from tests.emulator.conftest import user_ids


async def test_blocked_user_answers_403(emu, bot):
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(user_ids(emu, "blocked")[0], "hi")


async def test_deactivated_user_answers_403(emu, bot):
    with pytest.raises(TelegramForbiddenError, match="Forbidden: user is deactivated"):
        await bot.send_message(user_ids(emu, "deactivated")[0], "hi")


async def test_unknown_chat_answers_400(bot):
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(42, "hi")
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message("@nobody_here", "hi")


async def test_migrated_group_answers_with_new_chat_id(emu, bot):
    old = next(c for c in emu.state.world.chats.values() if c.migrated_to is not None)

    with pytest.raises(TelegramMigrateToChat) as raised:
        await bot.send_message(old.id, "hi")

    assert raised.value.migrate_to_chat_id == old.migrated_to
    assert "group chat was upgraded to a supergroup chat" in raised.value.message
    message = await bot.send_message(raised.value.migrate_to_chat_id, "hi again")
    assert message.chat.type == "supergroup"


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("x" * 4097, "Bad Request: message is too long"),
        ("😀" * 2049, "Bad Request: message is too long"),  # 4098 UTF-16 code units
        ("", "Bad Request: message text is empty"),
        ("   \n", "Bad Request: message text is empty"),
    ],
)
async def test_text_validation(emu, bot, text, description):
    with pytest.raises(TelegramBadRequest, match=description):
        await bot.send_message(user_ids(emu)[0], text)


async def test_text_at_the_limit_is_accepted(emu, bot):
    message = await bot.send_message(user_ids(emu)[0], "😀" * 2048)
    assert len(message.text) == 2048


async def test_text_length_counts_after_entity_parsing(emu, bot):
    text = "<b>" + "x" * 4096 + "</b>"
    message = await bot.send_message(user_ids(emu)[0], text, parse_mode="HTML")
    assert len(message.text) == 4096


async def test_caption_too_long(emu, bot):
    with pytest.raises(TelegramBadRequest, match="Bad Request: message caption is too long"):
        await bot.send_photo(user_ids(emu)[0], "https://example.com/a.jpg", caption="c" * 1025)


async def test_callback_data_over_64_bytes(emu, bot):
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="b", callback_data="é" * 33)]]
    )
    with pytest.raises(TelegramBadRequest, match="Bad Request: BUTTON_DATA_INVALID"):
        await bot.send_message(user_ids(emu)[0], "hi", reply_markup=markup)


@pytest.mark.parametrize(
    ("text", "parse_mode", "reason"),
    [
        ("<b>bold", "HTML", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", "HTML", "Unmatched end tag at byte offset 4"),
        ("<p>para</p>", "HTML", 'Unsupported start tag "p" at byte offset 0'),
        ("Sale ends today.", "MarkdownV2", "Character '.' is reserved"),
        ("*bold", "MarkdownV2", "Can't find end of Bold entity at byte offset 0"),
        ("_italic", "Markdown", "Can't find end of the entity starting at byte offset 0"),
    ],
)
async def test_unparseable_entities(emu, bot, text, parse_mode, reason):
    with pytest.raises(TelegramBadRequest) as raised:
        await bot.send_message(user_ids(emu)[0], text, parse_mode=parse_mode)
    assert raised.value.message.startswith("Bad Request: can't parse entities: ")
    assert reason in raised.value.message


async def test_unknown_parse_mode(emu, bot):
    with pytest.raises(TelegramBadRequest, match="Bad Request: unsupported parse_mode"):
        await bot.send_message(user_ids(emu)[0], "hi", parse_mode="BBCode")


class FlyToTheMoon(TelegramMethod[bool]):
    """A method Telegram does not have."""

    __returning__ = bool
    __api_method__ = "flyToTheMoon"


async def test_unknown_method_answers_404(bot):
    with pytest.raises(TelegramNotFound, match="Not Found"):
        await bot(FlyToTheMoon())


async def test_malformed_token_answers_401(bot_factory):
    bot = bot_factory("123:too-short")
    with pytest.raises(TelegramUnauthorizedError, match="Unauthorized"):
        await bot.get_me()


async def test_rejected_token_answers_401(emu, bot, token):
    assert (await bot.get_me()).id == 777000111
    await emu.update_config(rejected_tokens=[token])
    with pytest.raises(TelegramUnauthorizedError):
        await bot.get_me()


async def test_errors_are_counted_by_description(emu, bot):
    for _ in range(2):
        with pytest.raises(TelegramForbiddenError):
            await bot.send_message(user_ids(emu, "blocked")[0], "hi")
    with pytest.raises(TelegramBadRequest):
        await bot.send_message(42, "hi")

    stats = emu.stats()["bots"][bot.token]
    assert stats["errors"] == {
        "Forbidden: bot was blocked by the user": 2,
        "Bad Request: chat not found": 1,
    }
    assert stats["errors_by_code"] == {"403": 2, "400": 1}
    assert stats["accepted"] == 0


async def test_users_who_never_started_the_bot_can_be_refused(emulator_factory, bot_factory):
    emu = await emulator_factory(require_start=True)
    bot = bot_factory(server=emu)
    await bot.get_me()
    uid = user_ids(emu)[0]
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation"):
        await bot.send_message(uid, "hi")
    await emu.user_sends(uid, "/start")
    await bot.send_message(uid, "welcome")
