"""Issue 9: pause → resume → cancel in quick succession must leave no row pending for good."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from core.ids import parse_id
from storage.models import Campaign, Execution
from tests.delivery.conftest import add_subscribers, ledger_counts

AUDIENCE = 40


async def engine_let_go(core, execution_id: int, within: float = 10.0) -> Counter[str]:
    """The ledger once no row of the execution is claimed any more (all written back)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while (counts := await ledger_counts(core, execution_id))["sending"]:
        assert loop.time() < deadline, f"rows stayed in sending: {counts}"
        await asyncio.sleep(0.02)
    return counts


async def test_pause_resume_cancel_in_quick_succession_settles_every_row(
    core, actor, emu, make_engine, api, auth
):
    users = await emu.create_users(AUDIENCE)
    await add_subscribers(core, actor, [u.id for u in users])
    await make_engine(rate=40).start()
    for attempt in range(4):  # each attempt lands at another point of a claimed batch
        body = {"name": f"Run {attempt}", "messages": [{"content": f"Run {attempt}"}]}
        created = await api.post("/api/v1/campaigns", json=body, headers=auth)
        cid = (await created.json())["data"]["id"]
        before = emu.stats()["totals"]["accepted"]
        executed = await api.post(f"/api/v1/campaigns/{cid}/execute", headers=auth)
        assert executed.status == 200, await executed.text()
        await emu.wait_until(
            lambda n=before + 3 + 2 * attempt: emu.stats()["totals"]["accepted"] >= n, within=10
        )
        for action in ("pause", "resume", "cancel"):
            answer = await api.post(f"/api/v1/campaigns/{cid}/{action}", headers=auth)
            assert answer.status == 200, await answer.text()

        async with core.uow() as uow:
            campaign = await uow.session.get(Campaign, parse_id("campaign", cid))
            execution = await uow.session.scalar(
                select(Execution).where(Execution.campaign_id == campaign.id)
            )
        counts = await engine_let_go(core, execution.id)
        assert counts["pending"] == 0, f"attempt {attempt}: rows stuck pending: {counts}"
        assert counts["sent"] + counts["skipped"] == AUDIENCE
        async with core.uow() as uow:
            campaign = await uow.session.get(Campaign, campaign.id)
            execution = await uow.session.get(Execution, execution.id)
        assert campaign.status == execution.status == "cancelled"
        assert (execution.sent_count, execution.skipped_count) == (
            counts["sent"],
            counts["skipped"],
        )
        assert campaign.sent_count == counts["sent"]
        progress = await api.get(f"/api/v1/campaigns/{cid}/progress", headers=auth)
        assert (await progress.json())["data"]["progress"]["pending"] == 0
