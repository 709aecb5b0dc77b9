"""Shared fixtures: a migrated database per test (SQLite, and PostgreSQL when reachable)."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from api.app import create_api_app
from core.auth import default_tenant, mint_key
from core.context import CoreContext
from core.delivery.engine import DeliveryEngine, EngineSettings
from core.delivery.pacing import TokenLimiter
from core.telegram_session import make_bot
from emulator.config import EmulatorConfig
from emulator.testing import EmulatorServer, make_token
from storage.all_models import Base
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head
from storage.models import Tenant
from tests.infra import PG_URL, postgres_problem

_PG_PROBLEM: str | None = asyncio.run(postgres_problem(PG_URL))

# Tests that start real service processes, or sweep many interleavings or fuzz cases: about
# half of the suite's CPU. `make test-quick` leaves them out for a fast loop while developing;
# `make test` (and CI) runs everything.
SLOW = (
    "tests/scale/",
    "tests/api/test_fuzz.py",
    "tests/delivery/test_crash.py",
    "tests/delivery/test_interleavings.py",
    "tests/emulator/test_cli_process.py",
    "tests/test_demo.py",
    "tests/test_http_workers.py",
    "tests/test_logging_privacy.py",
    "tests/test_one_poller.py",
    "tests/test_roles.py",
    "tests/test_safe_start.py",
    "tests/test_settings.py",
    "tests/test_telegram_webhook.py",
    # Its timeout test runs in-process; these two start service processes.
    "tests/webhooks/test_durability.py::test_an_event_committed_just_before_a_sigkill",
    "tests/webhooks/test_durability.py::test_two_dispatching_processes",
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the `slow` marker (warnings are errors: an unknown marker fails collection)."""
    config.addinivalue_line(
        "markers", "slow: real processes or long sweeps (make test-quick skips)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests of SLOW modules `slow`."""
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)


def _run_isolated(factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run a coroutine on its own loop in a thread (fixtures may be set up inside a loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(factory())).result()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head per session; each test copies it (~1 ms, not ~0.5 s)."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"

    async def migrate() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade_to_head(engine)
        await engine.dispose()  # the last connection out checkpoints and removes the WAL

    _run_isolated(migrate)
    assert not path.with_name(path.name + "-wal").exists(), "template left a WAL behind"
    return path


@pytest.fixture(scope="session")
def pg_schema() -> Iterator[str]:
    """A private schema for this test session (parallel runs never collide)."""
    if _PG_PROBLEM is not None:
        pytest.skip(_PG_PROBLEM)
    schema = f"t_{uuid.uuid4().hex[:10]}"

    async def create() -> None:
        engine = create_async_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await engine.dispose()
        migrated = _pg_engine(schema)
        await upgrade_to_head(migrated)
        await migrated.dispose()

    async def drop() -> None:
        engine = create_async_engine(PG_URL)
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await engine.dispose()

    _run_isolated(create)
    yield schema
    _run_isolated(drop)


def _pg_engine(schema: str) -> AsyncEngine:
    return create_async_engine(
        PG_URL, connect_args={"server_settings": {"search_path": schema}}, pool_size=5
    )


def _pg_emptying() -> str:
    """One statement that empties every model table and restarts its ids.

    DELETE of a few rows costs ~5 ms where TRUNCATE of ~30 tables costs ~100 ms (it rewrites
    every table); triggers and foreign keys are off for it (replica role: the test user is the
    superuser), so the order of tables does not matter and the counts tables stay empty.
    """
    names = ", ".join(f"'{table.name}'" for table in Base.metadata.sorted_tables)
    return f"""DO $$
DECLARE name text;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOREACH name IN ARRAY ARRAY[{names}] LOOP
    EXECUTE format('DELETE FROM %I', name);
  END LOOP;
  FOR name IN SELECT sequencename FROM pg_sequences
              WHERE schemaname = current_schema() AND last_value IS NOT NULL LOOP
    EXECUTE format('ALTER SEQUENCE %I RESTART', name);
  END LOOP;
END $$"""


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs against."""
    return str(request.param)


@pytest.fixture
async def engine(
    backend: str, tmp_path, request: pytest.FixtureRequest
) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database."""
    if backend == "sqlite":
        path = tmp_path / "test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        eng = create_engine(f"sqlite+aiosqlite:///{path}")
    else:
        schema = request.getfixturevalue("pg_schema")
        eng = _pg_engine(schema)
        async with eng.begin() as conn:
            await conn.execute(text(_pg_emptying()))
    yield eng
    await eng.dispose()


@dataclass
class FakeClock:
    """A clock tests move by hand; starts at the real time unless set."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    frozen: bool = False

    def __call__(self) -> datetime:
        return self.now if self.frozen else datetime.now(UTC)

    def set(self, when: datetime) -> None:
        """Freeze the clock at `when`."""
        self.now, self.frozen = when, True

    def advance(self, delta: timedelta) -> None:
        """Freeze (if needed) and move forward."""
        if not self.frozen:
            self.set(datetime.now(UTC))
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    """A controllable clock (real time until set)."""
    return FakeClock()


@pytest.fixture
def core(engine: AsyncEngine, clock: FakeClock) -> CoreContext:
    """The core wired to the test database."""
    return CoreContext(
        session_factory=create_session_factory(engine), clock=clock, admin_ids=(111,)
    )


@pytest.fixture
async def tenant(core: CoreContext) -> Tenant:
    """The default tenant."""
    async with core.uow() as uow:
        return await default_tenant(uow)


@pytest.fixture
async def api(core: CoreContext) -> AsyncIterator[TestClient]:
    """An HTTP client for the REST API."""
    client = TestClient(TestServer(create_api_app(core)))
    await client.start_server()
    yield client
    await client.close()


async def make_key(core: CoreContext, tenant_name: str | None = None) -> str:
    """A key for the default tenant, or for a new tenant of that name."""
    async with core.uow() as uow:
        if tenant_name is None:
            tenant = await default_tenant(uow)
        else:
            tenant = Tenant(name=tenant_name)
            uow.session.add(tenant)
            await uow.flush()
        return (await mint_key(uow, tenant.id, "test")).key


@pytest.fixture
async def auth(core: CoreContext, tenant: Tenant) -> dict[str, str]:
    """Headers carrying a valid key of the default tenant."""
    return {"Authorization": f"Bearer {await make_key(core)}"}


@pytest.fixture
async def other_auth(core: CoreContext, tenant: Tenant) -> dict[str, str]:
    """Headers carrying a key of a second tenant."""
    return {"X-API-Key": await make_key(core, "other")}


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    """An empty emulated world with Telegram's default limits (tests add users)."""
    return EmulatorConfig(users=0, groups=0, supergroups=0, migrated_groups=0)


@pytest.fixture
async def emu(emulator_config: EmulatorConfig) -> AsyncIterator[EmulatorServer]:
    """An emulator on a free port."""
    async with EmulatorServer(emulator_config) as server:
        yield server


def service_bot(emu: EmulatorServer, token: str | None = None, *, timeout: float = 5) -> Bot:
    """A Bot built as the service builds its own (runtime.make_bot), talking to `emu`."""
    return make_bot(token or make_token(), emu.base_url, timeout=timeout)


@pytest.fixture
async def bot(emu: EmulatorServer) -> AsyncIterator[Bot]:
    """A real aiogram Bot talking HTTP to the emulator, with the service's session."""
    instance = service_bot(emu)
    yield instance
    await instance.session.close()


EngineFactory = Callable[..., DeliveryEngine]


@pytest.fixture
async def make_engine(core: CoreContext, bot: Bot) -> AsyncIterator[EngineFactory]:
    """Build engines with fast test timings; every engine built is stopped afterwards."""
    engines: list[DeliveryEngine] = []

    def factory(rate: float = 200.0, **settings: Any) -> DeliveryEngine:
        defaults: dict[str, Any] = {
            "flush_interval": 0.05,
            "poll_interval": 0.05,
            "heartbeat_interval": 0.5,
        }
        engine = DeliveryEngine(
            core,
            settings.pop("bot", bot),
            TokenLimiter(rate),
            EngineSettings(**{**defaults, **settings}),
        )
        engines.append(engine)
        return engine

    yield factory
    for engine in engines:
        if not engine._stopping:
            await engine.stop()
