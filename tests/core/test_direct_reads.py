"""The campaign list's direct read path: same values as the ORM, own writes seen, bounded pool use."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import event, select

from core import campaigns
from core.context import Actor, CoreContext
from core.models import CampaignCreate
from storage.direct import READ_SLOTS
from storage.models import Campaign, Tenant
from storage.repositories.campaign_list import LIST_KEYS

LIST = {"status": None, "type_": None, "search": None, "sort": "-createdAt", "page": 1}


def actor_of(tenant: Tenant) -> Actor:
    return Actor(tenant_id=tenant.id, label="test")


async def create(core: CoreContext, tenant: Tenant, **fields) -> Campaign:
    data = CampaignCreate.model_validate(
        {"name": "Spring", "messages": [{"content": "Hi {first_name}"}], **fields}
    )
    async with core.uow() as uow:
        return await campaigns.create_campaign(uow, actor_of(tenant), data)


async def test_rows_carry_the_values_the_orm_loads(core, tenant):
    made = await create(
        core, tenant, description="Big sale", budget=1234.5, allowPaidBroadcast=True,
        goals={"targetAudience": 10}, startDate="2030-01-02T03:04:05.678Z",
        targetAudience={"segments": [], "filters": {"languageCode": "en"}},
    )  # fmt: skip
    async with core.uow(read_only=True) as uow:
        page = await campaigns.list_campaigns(uow, actor_of(tenant), limit=10, **LIST)
    async with core.uow() as uow:
        loaded = await uow.session.scalar(select(Campaign).where(Campaign.id == made.id))
    (row,) = page.items
    assert {key: row[key] for key in LIST_KEYS} == {key: getattr(loaded, key) for key in LIST_KEYS}
    assert row["start_date"] == datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert row["start_date"].tzinfo is UTC
    assert row["allow_paid_broadcast"] is True
    assert row["goals"] == {"targetAudience": 10}
    assert page.total == 1


async def test_a_list_inside_a_writing_unit_of_work_sees_its_own_rows(core, tenant):
    data = CampaignCreate.model_validate({"name": "Draft", "messages": [{"content": "Hi"}]})
    async with core.uow() as uow:
        await campaigns.create_campaign(uow, actor_of(tenant), data)
        page = await campaigns.list_campaigns(uow, actor_of(tenant), limit=10, **LIST)
        assert [row["name"] for row in page.items] == ["Draft"]
        assert page.total == 1
        searched = await campaigns.list_campaigns(
            uow, actor_of(tenant), limit=10, **{**LIST, "search": "draf"}
        )
        assert searched.total == 1
        await uow.session.rollback()
    async with core.uow(read_only=True) as uow:
        page = await campaigns.list_campaigns(uow, actor_of(tenant), limit=10, **LIST)
    assert page.items == [] and page.total == 0


async def test_a_burst_of_lists_borrows_a_bounded_number_of_connections(core, tenant, engine):
    await create(core, tenant)
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda conn, record: opened.append(conn))
    borrowed = 0
    peak = 0

    def checkout(*_args) -> None:
        nonlocal borrowed, peak
        borrowed += 1
        peak = max(peak, borrowed)

    def checkin(*_args) -> None:
        nonlocal borrowed
        borrowed -= 1

    event.listen(engine.sync_engine, "checkout", checkout)
    event.listen(engine.sync_engine, "checkin", checkin)

    async def one() -> int:
        async with core.uow(read_only=True) as uow:
            page = await campaigns.list_campaigns(uow, actor_of(tenant), limit=10, **LIST)
        return page.total

    assert await asyncio.gather(*(one() for _ in range(40))) == [1] * 40
    assert 1 <= peak <= READ_SLOTS
    assert len(opened) <= READ_SLOTS
