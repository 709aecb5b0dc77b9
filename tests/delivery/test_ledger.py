"""Ledger listings and deliberate resends over HTTP; concurrent claimers never overlap."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select

from core.ids import format_id
from storage.models import Delivery
from storage.repositories.deliveries import DeliveryRepository
from tests.conftest import service_bot
from tests.delivery.conftest import add_subscribers, launch, wait_for_status


async def test_unknown_rows_are_listed_and_resent_on_request(
    core, actor, emu, bot, make_engine, api, auth
):
    users = await emu.create_users(4)
    await add_subscribers(core, actor, [u.id for u in users])
    await emu.set_faults(hang_rate=1.0, hang_seconds=2)  # hangs before processing: not delivered
    short = service_bot(emu, bot.token, timeout=0.3)
    try:
        campaign_id, _ = await launch(core, actor)
        await make_engine(bot=short).start()
        await wait_for_status(core, campaign_id, {"completed"})
        cid = format_id("campaign", campaign_id)
        listed = await api.get(f"/api/v1/campaigns/{cid}/deliveries", headers=auth)
        body = (await listed.json())["data"]
        assert body["pagination"]["total"] == 4
        assert {d["status"] for d in body["deliveries"]} == {"unknown"}
        assert {d["telegramId"] for d in body["deliveries"]} == {u.id for u in users}
        progress = await (await api.get(f"/api/v1/campaigns/{cid}/progress", headers=auth)).json()
        assert progress["data"]["progress"]["unknown"] == 4

        await emu.clear_faults()
        first = body["deliveries"][0]["id"]
        response = await api.post(
            f"/api/v1/campaigns/{cid}/deliveries/resend",
            json={"deliveryIds": [first]},
            headers=auth,
        )
        assert (await response.json())["data"]["requeued"] == 1
        await emu.wait_until(lambda: sum(len(emu.messages(u.id)) for u in users) == 1, within=10)
        response = await api.post(f"/api/v1/campaigns/{cid}/deliveries/resend", headers=auth)
        answer = await response.json()
        assert response.status == 200, answer
        assert answer["data"]["requeued"] == 3
        await emu.wait_until(lambda: all(len(emu.messages(u.id)) == 1 for u in users), within=10)
        await asyncio.sleep(0.3)
        sent = await api.get(
            f"/api/v1/campaigns/{cid}/deliveries", params={"status": "sent"}, headers=auth
        )
        assert (await sent.json())["data"]["pagination"]["total"] == 4
        bad = await api.get(
            f"/api/v1/campaigns/{cid}/deliveries", params={"status": "lost"}, headers=auth
        )
        assert bad.status == 400
    finally:
        await short.session.close()


async def test_resend_is_refused_for_a_draft(api, auth):
    response = await api.post(
        "/api/v1/campaigns", json={"name": "x", "messages": [{"content": "x"}]}, headers=auth
    )
    cid = (await response.json())["data"]["id"]
    refused = await api.post(f"/api/v1/campaigns/{cid}/deliveries/resend", headers=auth)
    assert refused.status == 409


async def test_concurrent_claimers_never_share_a_row(core, actor, emu):
    users = await emu.create_users(200)
    await add_subscribers(core, actor, [u.id for u in users])
    _, execution_id = await launch(core, actor)

    async def claimer(name: str) -> list[int]:
        got: list[int] = []
        while True:
            async with core.uow() as uow:
                rows = await DeliveryRepository(uow.session).claim(
                    execution_id, name, 7, datetime.now(UTC)
                )
            if not rows:
                return got
            assert len(rows) <= 7
            got += [r.id for r in rows]

    results = await asyncio.gather(*(claimer(f"w{i}") for i in range(4)))
    claimed = [row for result in results for row in result]
    assert len(claimed) == len(set(claimed)) == 200
    async with core.uow() as uow:
        owners = set(await uow.session.scalars(select(Delivery.claimed_by)))
    assert owners <= {"w0", "w1", "w2", "w3"}
