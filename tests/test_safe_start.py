"""Processes started together on an empty PostgreSQL schema all come up (advisory locks)."""

from __future__ import annotations

import asyncio

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text

from core.auth import default_tenant
from core.context import CoreContext
from emulator.testing import make_token
from storage.db import create_session_factory
from storage.migrate import alembic_config, upgrade_to_head
from storage.models import ApiKey, Tenant
from tests.bot.helpers import Person
from tests.pg_login import empty_schema, engine_for, postgres_problem
from tests.service_processes import spawn, terminate, wait_healthy

PROCESSES = 3


@pytest.fixture
async def schema_url():
    if (problem := postgres_problem()) is not None:
        pytest.skip(problem)
    async with empty_schema() as url:
        yield url


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def test_migrations_started_together_all_succeed(schema_url, tmp_path):
    children = [
        await spawn(tmp_path / f"migrate{i}.log", "migrate", DATABASE_URL=schema_url)
        for i in range(PROCESSES)
    ]
    codes = await asyncio.gather(*(asyncio.wait_for(c.process.wait(), 120) for c in children))
    assert codes == [0] * PROCESSES, [c.output() for c in children]
    for child in children:
        assert "database is at the newest revision" in child.output()
        assert "Traceback" not in child.output()
    engine = engine_for(schema_url)
    try:
        async with engine.connect() as conn:
            versions = list(await conn.scalars(text("SELECT version_num FROM alembic_version")))
    finally:
        await engine.dispose()
    assert versions == [head_revision()]


async def test_services_started_together_all_come_up_with_one_tenant(schema_url, emu, tmp_path):
    token = make_token()
    env = {
        "DATABASE_URL": schema_url,
        "BOT_TOKEN": token,
        "TELEGRAM_API_URL": emu.base_url,
        "API_TOKEN": "tgc_safe-start-configured-key-0123456789",
        "ADMIN_IDS": "111",
    }
    children = [await spawn(tmp_path / f"svc{i}.log", **env) for i in range(PROCESSES)]
    try:
        await asyncio.gather(*(wait_healthy(child) for child in children))
        # Everyone is up; the one poller (the scheduling leader) answers, and only once.
        user = await emu.create_user(first_name="Starter")
        replies = await Person(emu, user.id).says("/start")
        assert len(replies) == 1
        engine = engine_for(schema_url)
        try:
            async with engine.connect() as conn:
                tenants = await conn.scalar(select(func.count()).select_from(Tenant))
                keys = await conn.scalar(select(func.count()).select_from(ApiKey))
        finally:
            await engine.dispose()
        assert (tenants, keys) == (1, 1)
        requests = emu.bot_state(token).stats
        assert requests.requests["getUpdates"] >= 1
        assert requests.errors_by_code[409] == 0, "a second process called getUpdates"
    finally:
        codes = [await terminate(child) for child in children]
    assert codes == [0] * PROCESSES, [c.output() for c in children]
    for child in children:
        assert "Traceback" not in child.output(), child.output()


async def test_the_default_tenant_is_created_once_by_racing_transactions(schema_url):
    engine = engine_for(schema_url)
    await upgrade_to_head(engine)
    core = CoreContext(session_factory=create_session_factory(engine))

    async def second_process() -> int:
        async with core.uow() as uow:
            return (await default_tenant(uow)).id

    try:
        async with core.uow() as first:
            created = await default_tenant(first)  # inserted, not yet committed
            racer = asyncio.create_task(second_process())
            # The racer found no tenant and now waits for the bootstrap lock (not a sleep).
            async with engine.connect() as probe:
                waiting = text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND pid IN (SELECT pid FROM pg_stat_activity WHERE usename = current_user)"
                )  # this schema's own login role: other test runs' locks do not count
                for _ in range(500):
                    if await probe.scalar(waiting):
                        break
                    await asyncio.sleep(0.01)
                else:
                    raise AssertionError("the second transaction never waited for the lock")
            assert not racer.done()
        assert await racer == created.id
        async with engine.connect() as conn:
            assert await conn.scalar(select(func.count()).select_from(Tenant)) == 1
    finally:
        await engine.dispose()
