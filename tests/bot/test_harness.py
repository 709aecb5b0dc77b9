"""The in-process session answers every call as the emulator does over HTTP."""

from __future__ import annotations

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramUnauthorizedError
from aiogram.types import BufferedInputFile

from emulator.inprocess import in_process_bot
from emulator.testing import make_token


def comparable(record) -> tuple:
    """A recorded message without its ids and date."""
    size = (record.media or {}).get("file_size")  # ids differ per bot; the upload's size may not
    return (record.text, record.parse_mode, record.entities, record.caption, record.media_kind,
            record.reply_markup, size)  # fmt: skip


async def say_everything(bot, chat_id: int) -> None:
    await bot.send_message(chat_id, "<b>Hi</b> & bye", reply_markup={"inline_keyboard": [[
        {"text": "Go", "callback_data": "go"}]]})  # fmt: skip
    await bot.send_message(chat_id, "plain <b>", parse_mode=None)
    chart = BufferedInputFile(b"\x89PNG fake chart", filename="chart.png")
    await bot.send_photo(chat_id, chart, caption="<i>chart</i>")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "nobody")


async def test_in_process_calls_land_as_http_calls_do(emu, bot):
    over_http, in_process = await emu.create_user(), await emu.create_user()
    local = in_process_bot(emu.state, make_token(987654321))
    await say_everything(bot, over_http.id)
    await say_everything(local, in_process.id)
    assert [comparable(m) for m in emu.messages(in_process.id)] == [
        comparable(m) for m in emu.messages(over_http.id)
    ]
    http_stats, local_stats = (
        emu.stats(b.token)["bots"][b.token] for b in (bot, local)
    )  # fmt: skip
    for key in ("requests", "accepted", "errors_by_code"):
        assert local_stats[key] == http_stats[key]
    await local.session.close()


async def test_a_rejected_token_is_refused_like_over_http(emu, bot):
    local = in_process_bot(emu.state, bot.token)
    await emu.update_config(rejected_tokens=[bot.token])
    for each in (bot, local):
        with pytest.raises(TelegramUnauthorizedError):
            await each.get_me()
    await local.session.close()
