"""Send, copy, edit and delete methods produce Telegram-shaped results and records."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
)

from emulator.testing import FakeClock
from tests.emulator.conftest import small_config, user_ids

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Yes", callback_data="yes")]]
)


@pytest.fixture
async def quiet_emu(emulator_factory):
    """An emulator whose limiter clock never moves and whose private limit is generous."""
    return await emulator_factory(small_config(clock=FakeClock(), private_chat_rate=1000))


@pytest.fixture
def quiet_bot(bot_factory, quiet_emu):
    return bot_factory(server=quiet_emu)


async def test_message_ids_increase_per_chat_and_records_keep_order(quiet_emu, quiet_bot):
    first, second = user_ids(quiet_emu)[:2]
    a = await quiet_bot.send_message(first, "one")
    b = await quiet_bot.send_message(first, "two")
    c = await quiet_bot.send_message(second, "other chat")

    assert (a.message_id, b.message_id, c.message_id) == (1, 2, 1)
    assert a.from_user.id == 777000111 and a.from_user.is_bot
    assert a.chat.type == "private" and a.chat.first_name
    records = quiet_emu.messages(first)
    assert [(r.message_id, r.text, r.method) for r in records] == [
        (1, "one", "sendMessage"),
        (2, "two", "sendMessage"),
    ]


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("send_photo", "photo"),
        ("send_document", "document"),
        ("send_video", "video"),
        ("send_animation", "animation"),
    ],
)
async def test_media_by_url_upload_and_file_id(quiet_emu, quiet_bot, method, kind):
    uid = user_ids(quiet_emu)[0]
    send = getattr(quiet_bot, method)

    by_url = await send(
        uid,
        f"https://cdn.example.com/file.{kind}",
        caption="<b>New</b>",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
    )
    by_upload = await send(uid, BufferedInputFile(b"data", filename=f"f.{kind}"))
    media = getattr(by_url, kind)
    file_id = media[-1].file_id if kind == "photo" else media.file_id
    by_file_id = await send(uid, file_id)

    assert by_url.caption == "New" and by_url.caption_entities[0].type == "bold"
    assert by_url.reply_markup.inline_keyboard[0][0].callback_data == "yes"
    assert getattr(by_upload, kind) is not None
    resent = getattr(by_file_id, kind)
    assert (resent[-1] if kind == "photo" else resent).file_id == file_id
    sources = [r.media["source"] for r in quiet_emu.messages(uid)]
    assert sources == ["url", "upload", "url"]  # a known file_id resolves to the original
    assert {r.media_kind for r in quiet_emu.messages(uid)} == {kind}


async def test_media_group_mixes_photos_and_videos(quiet_emu, quiet_bot):
    uid = user_ids(quiet_emu)[0]
    album = [
        InputMediaPhoto(media="https://example.com/1.jpg", caption="<i>one</i>", parse_mode="HTML"),
        InputMediaVideo(media=BufferedInputFile(b"vid", filename="v.mp4")),
        InputMediaPhoto(media=BufferedInputFile(b"img", filename="p.jpg")),
    ]

    messages = await quiet_bot.send_media_group(uid, album)

    assert len(messages) == 3
    assert len({m.media_group_id for m in messages}) == 1
    assert messages[0].caption == "one" and messages[0].caption_entities[0].type == "italic"
    assert messages[1].video.file_name == "v.mp4"
    assert [m.message_id for m in messages] == [1, 2, 3]
    assert [r.media_kind for r in quiet_emu.messages(uid)] == ["photo", "video", "photo"]


async def test_media_group_rejects_documents_mixed_with_photos(quiet_emu, quiet_bot):
    album = [
        InputMediaPhoto(media="https://example.com/1.jpg"),
        InputMediaDocument(media="https://example.com/2.pdf"),
    ]
    with pytest.raises(TelegramBadRequest, match="can't be mixed"):
        await quiet_bot.send_media_group(user_ids(quiet_emu)[0], album)


async def test_polls_and_quizzes(quiet_emu, quiet_bot):
    uid = user_ids(quiet_emu)[0]
    poll = await quiet_bot.send_poll(uid, "Best day for a sale?", ["Friday", "Saturday"])
    quiz = await quiet_bot.send_poll(
        uid, "2+2?", ["3", "4"], type="quiz", correct_option_id=1, is_anonymous=False
    )

    assert poll.poll.question == "Best day for a sale?"
    assert [o.text for o in poll.poll.options] == ["Friday", "Saturday"]
    assert poll.poll.is_anonymous is True and poll.poll.type == "regular"
    assert quiz.poll.correct_option_id == 1 and quiz.poll.is_anonymous is False
    with pytest.raises(TelegramBadRequest, match="poll must have at least 2 option"):
        await quiet_bot.send_poll(uid, "Lonely?", ["yes"])


async def test_copy_message_copies_content_and_overrides_caption(quiet_emu, quiet_bot):
    source_user, target_user = user_ids(quiet_emu)[:2]
    text = await quiet_bot.send_message(source_user, "*Deal*", parse_mode="MarkdownV2")
    photo = await quiet_bot.send_photo(source_user, "https://example.com/p.jpg", caption="old")

    copied_text = await quiet_bot.copy_message(target_user, source_user, text.message_id)
    copied_photo = await quiet_bot.copy_message(
        target_user, source_user, photo.message_id, caption="new", reply_markup=KEYBOARD
    )

    first, second = quiet_emu.messages(target_user)
    assert copied_text.message_id == first.message_id == 1
    assert copied_photo.message_id == 2
    assert first.text == "Deal" and first.entities[0]["type"] == "bold"
    assert second.caption == "new" and second.media_kind == "photo"
    assert second.reply_markup == KEYBOARD.model_dump(exclude_none=True)
    assert first.origin == {"chat_id": source_user, "message_id": text.message_id}
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await quiet_bot.copy_message(target_user, source_user, 999)


async def test_edits_keep_history(quiet_emu, quiet_bot):
    uid = user_ids(quiet_emu)[0]
    sent = await quiet_bot.send_message(uid, "v1", reply_markup=KEYBOARD)

    edited = await quiet_bot.edit_message_text(
        "<b>v2</b>",
        chat_id=uid,
        message_id=sent.message_id,
        parse_mode="HTML",
        reply_markup=KEYBOARD,
    )
    await quiet_bot.edit_message_reply_markup(chat_id=uid, message_id=sent.message_id)

    assert edited.text == "v2" and edited.edit_date is not None
    record = quiet_emu.messages(uid)[0]
    assert record.text == "v2" and record.reply_markup is None
    assert [e["method"] for e in record.edits] == ["editMessageText", "editMessageReplyMarkup"]
    assert record.edits[0]["before"]["text"] == "v1"
    assert record.edits[0]["after"]["entities"][0]["type"] == "bold"
    assert record.edits[1]["before"]["reply_markup"] is not None
    assert "reply_markup" not in record.message


async def test_edit_errors(quiet_emu, quiet_bot):
    uid = user_ids(quiet_emu)[0]
    sent = await quiet_bot.send_message(uid, "same")
    photo = await quiet_bot.send_photo(uid, "https://example.com/p.jpg", caption="cap")

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await quiet_bot.edit_message_text("same", chat_id=uid, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await quiet_bot.edit_message_text("x", chat_id=uid, message_id=404)
    with pytest.raises(TelegramBadRequest, match="there is no text in the message to edit"):
        await quiet_bot.edit_message_text("x", chat_id=uid, message_id=photo.message_id)
    with pytest.raises(TelegramBadRequest, match="there is no caption in the message to edit"):
        await quiet_bot.edit_message_caption(chat_id=uid, message_id=sent.message_id, caption="c")

    edited = await quiet_bot.edit_message_caption(
        chat_id=uid, message_id=photo.message_id, caption="new caption"
    )
    assert edited.caption == "new caption"


async def test_delete_message(quiet_emu, quiet_bot):
    uid = user_ids(quiet_emu)[0]
    sent = await quiet_bot.send_message(uid, "oops")

    assert await quiet_bot.delete_message(uid, sent.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await quiet_bot.delete_message(uid, sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await quiet_bot.edit_message_text("x", chat_id=uid, message_id=sent.message_id)
    record = quiet_emu.messages(uid)[0]
    assert record.deleted is True and record.deleted_at is not None


async def test_chat_methods(quiet_emu, quiet_bot):
    uid = user_ids(quiet_emu)[0]
    supergroup = next(c for c in quiet_emu.state.world.chats.values() if c.username)

    private = await quiet_bot.get_chat(uid)
    group = await quiet_bot.get_chat(f"@{supergroup.username}")
    member = await quiet_bot.get_chat_member(uid, uid)
    link = await quiet_bot.create_chat_invite_link(supergroup.id, name="spring", member_limit=5)

    assert private.type == "private" and private.id == uid
    assert group.type == "supergroup" and group.title == supergroup.title
    assert member.status == "member" and member.user.id == uid
    assert link.invite_link.startswith("https://t.me/+") and link.name == "spring"
    assert link.creator.id == 777000111 and link.member_limit == 5


async def test_bot_commands(quiet_bot):
    commands = [
        BotCommand(command="start", description="Start"),
        BotCommand(command="stop", description="Unsubscribe"),
    ]
    assert await quiet_bot.set_my_commands(commands) is True
    assert [c.command for c in await quiet_bot.get_my_commands()] == ["start", "stop"]
    assert await quiet_bot.get_my_commands(language_code="de") == []
    assert await quiet_bot.delete_my_commands() is True
    assert await quiet_bot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await quiet_bot.set_my_commands([BotCommand(command="Bad Command", description="x")])


async def test_channel_posts_have_sender_chat(quiet_emu, quiet_bot):
    channel = await quiet_emu.create_chat(type="channel", title="Deals", username="deals_feed")
    message = await quiet_bot.send_message("@deals_feed", "Flash sale")
    assert message.sender_chat.id == channel.id and message.from_user is None


async def test_replies_quote_the_original_message(quiet_emu, quiet_bot):
    await quiet_bot.get_me()
    uid = user_ids(quiet_emu)[0]
    update = await quiet_emu.user_sends(uid, "/start")
    (incoming,) = await quiet_bot.get_updates()

    reply = await incoming.message.reply("Welcome!")

    assert reply.reply_to_message.message_id == update["message"]["message_id"]
    assert reply.reply_to_message.text == "/start"
    with pytest.raises(TelegramBadRequest, match="message to be replied not found"):
        await quiet_bot.send_message(uid, "x", reply_to_message_id=999)
