"""Request decoding: JSON, urlencoded, multipart bodies and query strings."""

from __future__ import annotations

import aiohttp
import orjson
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from tests.emulator.conftest import user_ids

KEYBOARD = {"inline_keyboard": [[{"text": "Buy", "callback_data": "buy:1"}]]}


async def _call(emu, token, method, **request):
    async with (
        aiohttp.ClientSession() as http,
        http.request(
            request.pop("verb", "POST"), f"{emu.base_url}/bot{token}/{method}", **request
        ) as response,
    ):
        return response.status, orjson.loads(await response.read())


async def test_json_body_with_native_types(emu, token):
    uid = user_ids(emu)[0]
    status, body = await _call(
        emu,
        token,
        "sendMessage",
        json={
            "chat_id": uid,
            "text": "json",
            "reply_markup": KEYBOARD,
            "disable_notification": True,
        },
    )
    assert status == 200 and body["ok"] is True
    assert body["result"]["reply_markup"] == KEYBOARD
    assert body["result"]["from"]["id"] == 777000111


async def test_urlencoded_body_with_json_strings(emu, token):
    uid = user_ids(emu)[0]
    status, body = await _call(
        emu,
        token,
        "sendMessage",
        data={
            "chat_id": str(uid),
            "text": "form & co",
            "reply_markup": orjson.dumps(KEYBOARD).decode(),
            "protect_content": "true",
        },
    )
    assert status == 200
    assert body["result"]["text"] == "form & co"
    assert body["result"]["has_protected_content"] is True
    assert emu.messages(uid)[0].reply_markup == KEYBOARD


async def test_query_string_parameters_work_with_get(emu, token):
    uid = user_ids(emu)[0]
    status, body = await _call(
        emu, token, "sendMessage", verb="GET", params={"chat_id": str(uid), "text": "get"}
    )
    assert status == 200 and body["result"]["text"] == "get"


async def test_error_answers_have_matching_http_status(emu, token):
    status, body = await _call(emu, token, "sendMessage", json={"chat_id": 1, "text": "x"})
    assert status == 400
    assert body == {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    status, body = await _call(emu, token, "fooBar", json={})
    assert (status, body) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    status, body = await _call(emu, "1:x", "getMe", json={})
    assert (status, body) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})


async def test_method_names_are_case_insensitive(emu, token):
    status, body = await _call(emu, token, "GETME", json={})
    assert status == 200 and body["result"]["is_bot"] is True


async def test_aiogram_form_encoding_round_trips_nested_objects(emu, bot):
    uid = user_ids(emu)[0]
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Site", url="https://example.com/?a=1&b=2")]]
    )
    message = await bot.send_message(
        uid,
        "<i>hello</i> world",
        parse_mode="HTML",
        reply_markup=markup,
        disable_notification=False,
    )
    assert message.reply_markup.model_dump() == markup.model_dump()
    assert message.entities[0].type == "italic"
    record = emu.messages(uid)[0]
    assert record.parse_mode == "HTML"
    assert record.text == "hello world"


async def test_multipart_upload_through_aiogram(emu, bot):
    uid = user_ids(emu)[0]
    upload = BufferedInputFile(b"%PDF-1.4 fake", filename="terms.pdf")

    message = await bot.send_document(uid, upload, caption="Terms")

    assert message.document.file_name == "terms.pdf"
    assert message.document.file_size == len(b"%PDF-1.4 fake")
    record = emu.messages(uid)[0]
    assert record.media["source"] == "upload"
    assert record.media["file_id"] == message.document.file_id


async def test_direct_file_part_without_attach_reference(emu, token):
    form = aiohttp.FormData()
    form.add_field("chat_id", str(user_ids(emu)[0]))
    form.add_field("photo", b"\x89PNG...", filename="p.png", content_type="image/png")
    status, body = await _call(emu, token, "sendPhoto", data=form)
    assert status == 200
    assert body["result"]["photo"][-1]["file_size"] == len(b"\x89PNG...")


async def test_bad_nested_json_is_a_bad_request(emu, token):
    status, body = await _call(
        emu,
        token,
        "sendMessage",
        data={"chat_id": str(user_ids(emu)[0]), "text": "x", "reply_markup": "{nope"},
    )
    assert status == 400
    assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
