"""Fixtures for delivery tests: an emulator, a bot pointed at it, and an engine."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import func, select

from core.campaign_actions import start_execution
from core.campaigns import create_campaign
from core.context import Actor, CoreContext
from core.models import CampaignCreate, ExecuteOptions
from core.subscribers import SubscriberInput, upsert_subscribers
from storage.models import Campaign, Delivery, Execution, Tenant


@pytest.fixture
def actor(tenant: Tenant) -> Actor:
    """The default tenant acting through the API."""
    return Actor(tenant.id, "api:test")


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


async def ledger_counts(core: CoreContext, execution_id: int) -> Counter[str]:
    """How many of the execution's delivery rows are in each status."""
    async with core.uow() as uow:
        rows = await uow.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.execution_id == execution_id)
            .group_by(Delivery.status)
        )
        return Counter(dict(rows.all()))


async def wait_for_settled(
    core: CoreContext, execution_id: int, within: float = 20.0
) -> Counter[str]:
    """Poll the ledger until no row of the execution is pending or sending; returns the counts."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        counts = await ledger_counts(core, execution_id)
        if counts["pending"] == counts["sending"] == 0:
            return counts
        if loop.time() > deadline:
            raise TimeoutError(f"rows still open: {dict(counts)}")
        await asyncio.sleep(0.05)
