"""What reaches the log: no personal data or keys at any level, no per-second noise at INFO."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from apscheduler.events import EVENT_JOB_EXECUTED
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.auth import hash_key
from core.logging import configure_logging, redact_also
from storage.db import create_engine
from tests.bot.helpers import Person
from tests.logging_state import preserved_logging
from tests.running import running_service, service_settings


@pytest.fixture
def logs(caplog):
    """caplog at DEBUG; the process-wide logger levels set by a test are undone after it."""
    caplog.set_level(logging.DEBUG)
    with preserved_logging():
        yield caplog


def everything_logged(caplog) -> str:
    """Every record as a handler would print it, tracebacks included."""
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


async def test_a_whole_flow_at_debug_logs_no_personal_data_or_key(tmp_path, logs):
    settings = service_settings(tmp_path, log_level="DEBUG")
    configure_logging(settings.log_level, settings.secrets())
    async with running_service(settings) as service:
        emu = service.emulator
        user = await emu.create_user(
            first_name="Quirinus", last_name="Vandersloot", username="quirinus_4711"
        )
        person = Person(emu, user.id)
        await person.says("/start")  # registers through the real bot path
        key = service.startup_key
        auth = {"Authorization": f"Bearer {key}"}
        async with aiohttp.ClientSession(base_url=service.api_base) as http:
            body = {"name": "Launch", "messages": [{"content": "Code QX-7731 for {first_name}"}]}
            async with http.post("/api/v1/campaigns", json=body, headers=auth) as response:
                assert response.status == 201, await response.text()
                campaign_id = (await response.json())["data"]["id"]
            async with http.post(f"/api/v1/campaigns/{campaign_id}/execute", headers=auth) as r:
                assert r.status in (200, 202), await r.text()
            await emu.wait_until(lambda: "QX-7731" in person.last_text(), within=15)
            assert person.last_text() == "Code QX-7731 for Quirinus"
            async with http.get(f"/api/v1/campaigns/{campaign_id}/progress", headers=auth) as r:
                assert r.status == 200

    text = everything_logged(logs)
    assert len(logs.records) > 20  # DEBUG really was on: the flow logged plenty
    for private in ("Quirinus", "Vandersloot", "quirinus_4711", "QX-7731", key, hash_key(key)):
        assert private not in text, f"{private!r} reached the log"


async def test_apscheduler_job_runs_stay_out_of_info(logs):
    configure_logging("INFO", [])
    scheduler = AsyncIOScheduler()
    ran = asyncio.Event()
    scheduler.add_listener(lambda _event: ran.set(), EVENT_JOB_EXECUTED)

    async def tick() -> None:
        pass

    scheduler.start()
    try:
        scheduler.add_job(tick, DateTrigger())
        await asyncio.wait_for(ran.wait(), 5)  # fired after both of the job's log lines
    finally:
        scheduler.shutdown(wait=False)

    apscheduler_lines = [r for r in logs.records if r.name.startswith("apscheduler")]
    assert [r.getMessage() for r in apscheduler_lines if "job" in r.getMessage().lower()] == []


async def test_apscheduler_job_runs_are_visible_at_debug(logs):
    configure_logging("DEBUG", [])
    assert logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
    assert not logging.getLogger("aiosqlite").isEnabledFor(logging.DEBUG)


MALFORMED = [
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Bad\x01: v\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tgc_\x7fprivate\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"private" * 1300 + b"\r\n\r\n",
]


@pytest.mark.parametrize("raw", MALFORMED, ids=["header-name", "header-value", "too-long"])
async def test_a_malformed_request_is_one_warning_line(logs, raw):
    configure_logging("INFO", [])

    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", runner.addresses[0][1])
        writer.write(raw)
        answer = await reader.read()
        writer.close()
        await writer.wait_closed()
    finally:
        await runner.cleanup()

    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400")
    (record,) = [r for r in logs.records if r.name == "aiohttp.server"]
    assert record.levelno == logging.WARNING
    assert record.exc_info is None and record.exc_text is None
    assert record.getMessage().startswith("malformed HTTP request from 127.0.0.1 refused (400")
    assert "private" not in record.getMessage()


async def test_secrets_are_redacted_in_every_form_they_travel_in(logs):
    token = "123456:AAsecret-token/part"
    configure_logging("INFO", [token])
    minted = "tgc_minted-at-start-up"
    redact_also(minted)
    log = logging.getLogger("tests.privacy")
    log.warning("plain %s", token)
    log.warning("in a URL https://api.telegram.org/bot%s/getMe", quote(token, safe=""))
    log.warning("stored digest %s", hash_key(token))
    log.warning("a minted key %s", minted)
    try:
        raise RuntimeError(f"failed with {token}")
    except RuntimeError:
        log.exception("with a traceback")

    printed = everything_logged(logs)
    assert printed.count("***") == 5
    for value in (token, quote(token, safe=""), hash_key(token), minted):
        assert value not in printed


async def test_database_errors_do_not_quote_bound_values(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'e.db'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE people (name TEXT UNIQUE)"))
            insert = text("INSERT INTO people (name) VALUES (:name)")
            await conn.execute(insert, {"name": "Quirinus"})
            with pytest.raises(IntegrityError) as raised:
                await conn.execute(insert, {"name": "Quirinus"})
    finally:
        await engine.dispose()

    assert "UNIQUE constraint failed" in str(raised.value)  # what went wrong stays readable
    assert "Quirinus" not in str(raised.value)  # who it was about does not


async def test_a_job_cancelled_by_shutdown_is_not_an_error(logs):
    configure_logging("DEBUG", [])  # where the line is still shown, as DEBUG (INFO drops it)
    scheduler = AsyncIOScheduler()
    running = asyncio.Event()

    async def slow() -> None:
        running.set()
        await asyncio.Event().wait()  # still running when the service stops

    scheduler.start()
    scheduler.add_job(slow, DateTrigger(), id="slow")
    await asyncio.wait_for(running.wait(), 5)
    scheduler.shutdown(wait=False)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5

    def outcome() -> list[logging.LogRecord]:
        return [
            r for r in logs.records
            if r.name == "apscheduler.executors.default" and "Running job" not in r.getMessage()
        ]  # fmt: skip

    while not outcome():
        assert loop.time() < deadline, "the executor never reported the cancelled job"
        await asyncio.sleep(0.01)

    (record,) = outcome()
    assert record.levelno == logging.DEBUG and record.exc_info is None
    assert "cancelled by the scheduler's shutdown" in record.getMessage()
