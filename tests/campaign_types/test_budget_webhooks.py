"""Webhooks say why the budget paused a campaign and what a conversion was worth, as documented."""

from __future__ import annotations

import asyncio

from core.events import DomainEvent
from tests.webhooks.conftest import core, receiver, register  # noqa: F401  (fixtures)
from tests.webhooks.test_payload_schemas import check, outbox


async def test_the_pause_reason_and_the_conversion_value_reach_webhooks(
    api,
    auth,
    core,  # noqa: F811  (the webhook tests' core: loopback receivers allowed)
    emu,
    make_engine,
    receiver,  # noqa: F811
):
    await register(api, auth, receiver.url)
    users = await emu.create_users(3)
    batch = [{"telegramId": u.id} for u in users]
    await api.post("/api/v1/subscribers", json={"subscribers": batch}, headers=auth)
    body = {"name": "Paid", "messages": [{"content": "Hi"}], "allowPaidBroadcast": True,
            "budget": 0.1}  # fmt: skip
    cid = (await (await api.post("/api/v1/campaigns", json=body, headers=auth)).json())["data"][
        "id"
    ]
    paused = asyncio.Event()

    async def heard(_: DomainEvent) -> None:
        paused.set()

    core.bus.subscribe("campaign.paused", heard)
    await api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
    await make_engine().start()
    await asyncio.wait_for(paused.wait(), 20)
    event = {"event": "conversion", "telegramId": users[0].id, "campaignId": cid,
             "properties": {"value": 12.5}}  # fmt: skip
    response = await api.post("/api/v1/events", json=event, headers=auth)
    assert response.status == 202

    emitted = await outbox(core)
    [pause] = emitted["campaign.paused"]
    [conversion] = emitted["interaction.converted"]
    check(pause)
    check(conversion)
    assert pause["data"]["reason"] == "BUDGET_EXHAUSTED" and pause["data"]["toStatus"] == "paused"
    assert conversion["data"]["interaction"]["value"] == 12.5
    assert conversion["data"]["interaction"]["first"] is True
    assert conversion["data"]["interaction"]["via"] == "event"
    assert "button" not in conversion["data"]["interaction"]  # not a press
