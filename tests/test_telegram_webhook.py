"""Telegram's webhook route: a body that is not an Update is a 400, never a 500 or a lost task."""

from __future__ import annotations

import asyncio
import gc
import logging

import aiohttp
import pytest

from runtime import WEBHOOK_PATH
from telegram_webhook import drain
from tests.bot.helpers import Person
from tests.running import free_port, running_service, service_settings

SECRET = "hook-s3cret"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}


@pytest.fixture
async def webhook_service(tmp_path):
    port = free_port()
    settings = service_settings(
        tmp_path, http_port=port, webhook_url=f"http://127.0.0.1:{port}", webhook_secret=SECRET
    )
    async with running_service(settings) as service:
        yield service


async def post(service, body: bytes, headers=HEADERS) -> tuple[int, dict | str]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{service.api_base}{WEBHOOK_PATH}", data=body, headers=headers) as response,
    ):
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, await response.text()


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"update_id": 1, "message": ', "MALFORMED_JSON"),
        (b"\xff\xfe not utf-8", "MALFORMED_JSON"),
        (b"", "MALFORMED_JSON"),
        (b"[]", "INVALID_UPDATE"),
        (b"{}", "INVALID_UPDATE"),
        (b'{"update_id": "one"}', "INVALID_UPDATE"),
        (b'{"update_id": 5, "message": {"text": "Call me at +1 555 0100"}}', "INVALID_UPDATE"),
    ],
)
async def test_a_body_that_is_not_an_update_is_refused_with_400(
    webhook_service, caplog, body, code
):
    caplog.set_level(logging.DEBUG)
    status, answer = await post(webhook_service, body)

    assert status == 400
    assert answer["success"] is False and answer["error"]["code"] == code
    assert answer["error"]["message"]
    gc.collect()  # a failed background task reports itself only when collected
    problems = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert problems == []
    assert "never retrieved" not in caplog.text
    assert "555 0100" not in caplog.text  # the body's content is not quoted into the log


async def test_the_secret_is_still_checked_before_the_body(webhook_service):
    status, _ = await post(webhook_service, b"not json", headers={})
    assert status == 401


async def test_a_valid_update_still_reaches_the_bot(webhook_service):
    emu = webhook_service.emulator
    user = await emu.create_user(first_name="Hook")
    (welcome,) = await Person(emu, user.id).says("/start")  # pushed by the emulator
    assert "Welcome, Hook!" in welcome.text


async def test_shutdown_lets_handlers_finish_and_cancels_the_stuck_ones():
    finished = asyncio.Event()

    async def quick() -> None:
        await asyncio.sleep(0.01)
        finished.set()

    quick_task = asyncio.create_task(quick())
    stuck_task = asyncio.create_task(asyncio.Event().wait())

    await drain({quick_task, stuck_task}, grace=0.5)

    assert finished.is_set() and quick_task.done() and not quick_task.cancelled()
    assert stuck_task.cancelled()
