"""Fixtures for delivery tests: an emulator, a bot pointed at it, and an engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiogram import Bot

from core.campaign_actions import start_execution
from core.campaigns import create_campaign
from core.context import Actor, CoreContext
from core.delivery.engine import DeliveryEngine, EngineSettings
from core.delivery.pacing import TokenLimiter
from core.models import CampaignCreate, ExecuteOptions
from core.subscribers import SubscriberInput, upsert_subscribers
from emulator.config import EmulatorConfig
from emulator.testing import EmulatorServer
from storage.models import Campaign, Execution, Tenant


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorServer]:
    """An emulator with an empty world (tests create the users they need)."""
    config = EmulatorConfig(users=0, groups=0, supergroups=0, migrated_groups=0)
    async with EmulatorServer(config) as server:
        yield server


@pytest.fixture
async def bot(emu: EmulatorServer) -> AsyncIterator[Bot]:
    """A real aiogram Bot talking HTTP to the emulator."""
    instance = emu.make_bot(timeout=5)
    yield instance
    await instance.session.close()


@pytest.fixture
def actor(tenant: Tenant) -> Actor:
    """The default tenant acting through the API."""
    return Actor(tenant.id, "api:test")


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


async def add_subscribers(core: CoreContext, actor: Actor, telegram_ids: list[int]) -> None:
    """Subscribers with the given Telegram ids (chat id = user id)."""
    async with core.uow() as uow:
        items = [SubscriberInput(telegram_id=t, first_name=f"User{t}") for t in telegram_ids]
        await upsert_subscribers(uow, actor, items)


async def launch(
    core: CoreContext, actor: Actor, *, options: ExecuteOptions | None = None, **fields: Any
) -> tuple[int, int]:
    """Create and execute a campaign; returns (campaign id, execution id)."""
    body = {"name": "Test", "messages": [{"content": "Hello {first_name}"}], **fields}
    async with core.uow() as uow:
        campaign = await create_campaign(uow, actor, CampaignCreate.model_validate(body))
        result = await start_execution(uow, actor, campaign, options or ExecuteOptions())
        assert result.execution is not None
        return campaign.id, result.execution.id


async def wait_for_status(
    core: CoreContext, campaign_id: int, statuses: set[str], within: float = 20.0
) -> Campaign:
    """Poll the campaign until it reaches one of `statuses`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with core.uow() as uow:
            campaign = await uow.session.get(Campaign, campaign_id)
            assert campaign is not None
            if campaign.status in statuses:
                return campaign
        if loop.time() > deadline:
            raise TimeoutError(f"campaign still {campaign.status}")
        await asyncio.sleep(0.05)


async def execution(core: CoreContext, execution_id: int) -> Execution:
    """A fresh copy of an execution row."""
    async with core.uow() as uow:
        row = await uow.session.get(Execution, execution_id)
        assert row is not None
        return row
