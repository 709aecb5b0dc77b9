"""Polling mode on PostgreSQL: only the scheduling leader calls getUpdates; a new leader polls."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import text

from bot.dispatcher import build_dispatcher
from core.auth import default_tenant
from emulator.testing import make_token
from leader_polling import LeaderPoller
from runtime import Service
from tests.bot.helpers import Person
from tests.conftest import service_bot
from tests.pg_login import empty_schema, engine_for, postgres_problem
from tests.running import service_settings

TAKE_OVER_WITHIN = 30.0  # a standby looks for the free lock every 5 s


@pytest.fixture
async def schema_url():
    if (problem := postgres_problem()) is not None:
        pytest.skip(problem)
    async with empty_schema() as url:
        yield url


@pytest.fixture
async def pair(schema_url, emu, tmp_path):
    """Two services on one schema and one bot token; the first started leads."""
    values = {
        "database_url": schema_url,
        "bot_token": make_token(),
        "telegram_api_url": emu.base_url,
        "api_token": "tgc_one-poller-configured-key-0123456789",
    }
    first, second = (Service(service_settings(tmp_path, **values)) for _ in range(2))
    async with contextlib.AsyncExitStack() as stack:
        await first.start()
        stack.push_async_callback(first.stop)
        await second.start()
        stack.push_async_callback(second.stop)
        assert first.poller is not None and second.poller is not None
        await asyncio.wait_for(first.poller.polling.wait(), 10)
        stats = emu.bot_state(values["bot_token"]).stats
        ada = Person(emu, (await emu.create_user(first_name="Ada")).id)
        assert len(await ada.says("/start")) == 1  # answered, and once
        assert second.poller.turns == 0 and not second.poller.polling.is_set()
        assert stats.errors_by_code[409] == 0, "two processes polled"
        yield first, second
    assert stats.errors_by_code[409] == 0


async def test_only_the_leader_polls_and_the_next_leader_takes_over(pair, emu):
    first, second = pair
    await first.stop()  # the leader goes; its lock is released
    await asyncio.wait_for(second.poller.polling.wait(), TAKE_OVER_WITHIN)
    bob = Person(emu, (await emu.create_user(first_name="Bob")).id)
    assert len(await bob.says("/start")) == 1
    assert first.poller.turns == 1 and second.poller.turns == 1


async def test_a_leader_that_loses_its_lock_stops_polling(pair, emu, schema_url):
    first, second = pair
    pid = await first.scheduler.leader.backend_pid()
    # This schema's own login role: the only advisory lock it keeps is the scheduler's.
    holder = text(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
        "AND pid IN (SELECT pid FROM pg_stat_activity WHERE usename = current_user)"
    )
    engine = engine_for(schema_url)
    try:
        async with engine.connect() as conn:  # the lock connection dies (a network cut)
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await conn.commit()
            for _ in range(int(TAKE_OVER_WITHIN / 0.1)):  # a new connection takes the lock
                holders = set(await conn.scalars(holder))
                await conn.commit()
                if holders and pid not in holders:
                    break
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("nobody took the lock of the dead connection")
    finally:
        await engine.dispose()
    await emu.wait_until(
        lambda: first.scheduler.leading.is_set() or second.scheduler.leading.is_set(), 10
    )
    leaders = [s for s in (first, second) if s.scheduler.leading.is_set()]
    assert len(leaders) == 1
    # The poller follows: the leader polls (a step-down and re-lead of the same process
    # shorter than the poller's check may keep its polling running), the other does not.
    await asyncio.wait_for(leaders[0].poller.polling.wait(), TAKE_OVER_WITHIN)
    others = [s for s in (first, second) if s is not leaders[0]]
    await emu.wait_until(lambda: not others[0].poller.polling.is_set(), within=TAKE_OVER_WITHIN)
    bob = Person(emu, (await emu.create_user(first_name="Bob")).id)
    assert len(await bob.says("/start")) == 1


async def test_the_poller_stops_when_leadership_is_lost_and_resumes_when_regained(
    core, tenant, emu, backend
):
    if backend != "sqlite":
        pytest.skip("the poller does not touch the database; one backend is enough")
    leading = asyncio.Event()
    bot = service_bot(emu)
    dispatcher = build_dispatcher(core, tenant.id)
    poller = LeaderPoller(dispatcher, bot, leading, check_seconds=0.05, polling_timeout=1)
    ada = Person(emu, (await emu.create_user(first_name="Ada")).id)
    await bot.get_me()  # the emulator knows the bot before anyone writes to it
    stats = emu.bot_state(bot.token).stats
    poller.start()
    try:
        await emu.user_sends(ada.user_id, "/help")
        assert stats.requests["getUpdates"] == 0  # not leading: no getUpdates
        leading.set()
        await asyncio.wait_for(poller.polling.wait(), 10)
        await emu.wait_until(lambda: ada.inbox(), within=10)  # the queued update is handled
        leading.clear()
        await emu.wait_until(lambda: not poller.polling.is_set(), within=10)
        await emu.wait_until(lambda: not dispatcher._running_lock.locked(), within=10)
        calls = stats.requests["getUpdates"]
        bob = Person(emu, (await emu.create_user(first_name="Bob")).id)
        await emu.user_sends(bob.user_id, "/help")  # nobody polls: it waits in the queue
        assert stats.requests["getUpdates"] == calls
        assert not bob.inbox()
        leading.set()
        await emu.wait_until(lambda: bob.inbox(), within=10)
        assert poller.turns == 2
    finally:
        await poller.stop()
        await bot.session.close()
    async with core.uow() as uow:
        assert (await default_tenant(uow)).id == tenant.id
