"""A paid campaign never spends past its budget: it pauses BUDGET_EXHAUSTED, and a raised
budget plus resume carries on from the ledger (REST → engine → emulator, both databases)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlalchemy import func, select

from core.events import DomainEvent
from storage.models import Campaign, CampaignEvent, Delivery


async def seed(api, auth, emu, count: int) -> list[int]:
    users = await emu.create_users(count)
    batch = [{"telegramId": u.id, "firstName": f"U{u.id}"} for u in users]
    response = await api.post("/api/v1/subscribers", json={"subscribers": batch}, headers=auth)
    assert response.status == 200, await response.text()
    return [u.id for u in users]


async def create_paid(api, auth, budget: float | None) -> str:
    body = {"name": "Stars", "messages": [{"content": "Hi"}], "allowPaidBroadcast": True}
    if budget is not None:
        body["budget"] = budget
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    assert response.status == 201, await response.text()
    return (await response.json())["data"]["id"]


async def call(api, auth, method: str, path: str, json=None):
    response = await api.request(method, f"/api/v1/campaigns/{path}", json=json, headers=auth)
    return response.status, await response.json()


def campaign_key(public_id: str) -> int:
    return int(public_id.split("_")[1])


async def wait_for(core, public_id: str, status: str, within: float = 20.0) -> Campaign:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with core.uow() as uow:
            campaign = await uow.session.get(Campaign, campaign_key(public_id))
            if campaign.status == status:
                return campaign
        if loop.time() > deadline:
            raise TimeoutError(f"campaign still {campaign.status}")
        await asyncio.sleep(0.05)


async def ledger(core, public_id: str) -> Counter[str]:
    async with core.uow() as uow:
        rows = await uow.session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return Counter(dict(rows.all()))


async def test_the_budget_stops_sending_exactly_and_a_raise_carries_on(
    api, auth, core, emu, make_engine
):
    await seed(api, auth, emu, 20)
    cid = await create_paid(api, auth, budget=0.5)
    paused: list[DomainEvent] = []

    async def heard(event: DomainEvent) -> None:
        paused.append(event)

    core.bus.subscribe("campaign.paused", heard)
    status, body = await call(api, auth, "POST", f"{cid}/execute")
    assert status == 200, body
    await make_engine().start()

    # 0.5 Stars pay for five messages at 0.1: the sixth is never sent.
    campaign = await wait_for(core, cid, "paused")
    assert campaign.pause_reason == "BUDGET_EXHAUSTED"
    assert emu.stats()["totals"]["paid_messages"] == 5
    assert await ledger(core, cid) == {"sent": 5, "pending": 15}
    assert round(campaign.cost, 6) == 0.5
    assert [e.data for e in paused] == [{"reason": "BUDGET_EXHAUSTED"}]
    assert paused[0].actor == "system:budget"
    async with core.uow() as uow:
        audit = (await uow.session.scalars(select(CampaignEvent))).all()
    assert audit[-1].event == "campaign.paused" and audit[-1].details == {
        "reason": "BUDGET_EXHAUSTED"
    }

    _, body = await call(api, auth, "GET", cid)
    assert body["data"]["pauseReason"] == "BUDGET_EXHAUSTED"
    assert body["data"]["statistics"]["totalCost"] == 0.5
    _, body = await call(api, auth, "GET", f"{cid}/progress")
    assert body["data"]["status"] == "paused"
    assert body["data"]["pauseReason"] == "BUDGET_EXHAUSTED"
    assert body["data"]["progress"]["successful"] == 5
    _, body = await call(api, auth, "GET", f"{cid}/statistics?metrics=overview")
    assert body["data"]["overview"]["cost"] == 0.5

    # Resuming with nothing more to spend is refused, and says why.
    status, body = await call(api, auth, "POST", f"{cid}/resume")
    assert status == 409 and body["error"]["code"] == "BUDGET_EXHAUSTED"

    # The budget may be raised while paused; resuming sends five more, never a sixth.
    status, body = await call(api, auth, "PUT", cid, {"budget": 1.0})
    assert status == 200, body
    status, body = await call(api, auth, "POST", f"{cid}/resume")
    assert status == 200, body
    async with core.uow() as uow:
        assert (await uow.session.get(Campaign, campaign_key(cid))).pause_reason is None
    campaign = await wait_for(core, cid, "paused")
    assert emu.stats()["totals"]["paid_messages"] == 10
    assert await ledger(core, cid) == {"sent": 10, "pending": 10}
    assert round(campaign.cost, 6) == 1.0 and campaign.pause_reason == "BUDGET_EXHAUSTED"

    # Enough for everyone left: the run completes and each recipient got one message.
    await call(api, auth, "PUT", cid, {"budget": 5})
    status, _ = await call(api, auth, "POST", f"{cid}/resume")
    assert status == 200
    campaign = await wait_for(core, cid, "completed")
    assert emu.stats()["totals"]["paid_messages"] == 20
    assert round(campaign.cost, 6) == 2.0 and campaign.pause_reason is None
    assert len(paused) == 2


async def test_free_sends_and_budgetless_paid_sends_are_never_limited(
    api, auth, core, emu, make_engine
):
    await seed(api, auth, emu, 8)
    # A budget without paid broadcast: the messages cost nothing, so nothing stops them.
    body = {"name": "Free", "messages": [{"content": "Hi"}], "budget": 0}
    response = await api.post("/api/v1/campaigns", json=body, headers=auth)
    free = (await response.json())["data"]["id"]
    await call(api, auth, "POST", f"{free}/execute")
    await make_engine().start()
    campaign = await wait_for(core, free, "completed")
    assert campaign.sent_count == 8 and campaign.cost == 0

    unlimited = await create_paid(api, auth, budget=None)
    await call(api, auth, "POST", f"{unlimited}/execute")
    campaign = await wait_for(core, unlimited, "completed")
    assert round(campaign.cost, 6) == 0.8
    assert emu.stats()["totals"]["paid_messages"] == 8


async def test_a_budget_that_cannot_pay_one_message_refuses_to_execute(api, auth, emu):
    telegram_ids = await seed(api, auth, emu, 3)
    cid = await create_paid(api, auth, budget=0.05)
    status, body = await call(api, auth, "POST", f"{cid}/execute")
    assert status == 409 and body["error"]["code"] == "BUDGET_EXHAUSTED"
    assert body["error"]["details"][0]["field"] == "budget"
    _, body = await call(api, auth, "GET", cid)
    assert body["data"]["status"] == "draft"
    # A test send is not the campaign's spend: the budget does not stop it.
    status, body = await call(
        api,
        auth,
        "POST",
        f"{cid}/execute",
        {"testMode": True, "testRecipients": [str(telegram_ids[0])]},
    )
    assert status == 200, body


@pytest.mark.parametrize("backend", ["postgres"])
async def test_two_engines_claiming_at_once_never_overspend(api, auth, core, emu, make_engine):
    await seed(api, auth, emu, 60)
    cid = await create_paid(api, auth, budget=3.0)
    await call(api, auth, "POST", f"{cid}/execute")
    # Small claims (10 at 20/s), so the two engines take turns at the campaign lock.
    engines = [make_engine(rate=20, single_process=False) for _ in range(2)]
    await asyncio.gather(*(engine.start() for engine in engines))

    campaign = await wait_for(core, cid, "paused", within=30)
    assert campaign.pause_reason == "BUDGET_EXHAUSTED"
    assert emu.stats()["totals"]["paid_messages"] == 30
    assert await ledger(core, cid) == {"sent": 30, "pending": 30}
    assert round(campaign.cost, 6) == 3.0
