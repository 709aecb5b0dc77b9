"""A tenant-API campaign really sent through the engine: its moves, stats and interactions."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.ids import parse_id
from core.interactions import record_click
from core.subscribers import SubscriberStatus, change_status_from_bot
from storage.models import Delivery, Execution
from tests.tenant_api.conftest import BASE, created, subscribe


async def _until(api, auth, url, statuses, within=20.0):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        shown = await (await api.get(url, headers=auth)).json()
        if shown["status"] in statuses:
            return shown
        assert loop.time() < deadline, shown
        await asyncio.sleep(0.05)


async def _click(core, campaign_id: str, chat_id: int) -> None:
    async with core.uow() as uow:
        delivery = await uow.session.scalar(
            select(Delivery.id).where(
                Delivery.execution_id == Execution.id,
                Execution.campaign_id == parse_id("campaign", campaign_id),
                Delivery.chat_id == chat_id,
            )
        )
        assert delivery is not None
        assert await record_click(uow, delivery, 0, chat_id)


async def test_a_sent_campaign_reports_sent_delivered_bounced_and_clicked(
    api, auth, core, emu, make_engine, tenant_id
):
    users = await emu.create_users(3, blocked=1)
    await subscribe(api, auth, [u.id for u in users])
    campaign = await created(api, auth, {"tenantId": tenant_id, "name": "Go", "content": "Hi"})
    url = f"{BASE}/{campaign['id']}"

    executed = await api.post(f"{url}/execute", headers=auth)
    answer = await executed.json()
    assert executed.status == 200, answer
    assert answer["status"] == "ACTIVE" and answer["targetCount"] == 3
    assert answer["startedAt"].endswith("Z")
    await make_engine().start()
    done = await _until(api, auth, url, {"COMPLETED"})
    assert done["sentCount"] == 3 and done["deliveredCount"] == 2
    reachable = next(u for u in users if not u.blocked)
    await _click(core, campaign["id"], reachable.id)

    stats = await (await api.get(f"{url}/stats", headers=auth)).json()
    assert stats["campaignId"] == campaign["id"] and stats["targetCount"] == 3
    assert (stats["sentCount"], stats["deliveredCount"], stats["bouncedCount"]) == (3, 2, 1)
    assert (stats["clickedCount"], stats["convertedCount"], stats["unsubscribedCount"]) == (1, 0, 0)
    assert stats["deliveryRate"] == 0.6667 and stats["clickRate"] == 0.5
    assert stats["conversionRate"] == 0.0
    assert stats["openedCount"] is None and stats["openRate"] is None
    assert stats["byChannel"] == {"TELEGRAM": {"sent": 3, "delivered": 2, "clicked": 1,
                                               "bounced": 1}}  # fmt: skip
    [hour] = stats["timeline"]
    assert (hour["sent"], hour["delivered"], hour["clicked"]) == (3, 2, 1)
    assert hour["hour"].endswith(":00:00Z") and hour["opened"] is None

    feed = f"{url}/interactions"
    everything = await (await api.get(feed, headers=auth)).json()
    assert everything["meta"] == {"total": 7, "skip": 0, "take": 25}
    kinds = sorted(entry["type"] for entry in everything["data"])
    assert kinds == ["BOUNCED", "CLICKED", "DELIVERED", "DELIVERED", "SENT", "SENT", "SENT"]
    assert len({entry["id"] for entry in everything["data"]}) == 7
    sent = await (await api.get(feed, params={"type": "SENT"}, headers=auth)).json()
    assert sent["meta"]["total"] == 3
    assert {e["customerName"] for e in sent["data"]} == {f"User{u.id} Tester" for u in users}
    assert {e["channel"] for e in sent["data"]} == {"TELEGRAM"}
    bounced = await (await api.get(feed, params={"type": "BOUNCED"}, headers=auth)).json()
    blocked = next(u for u in users if u.blocked)
    assert [e["customerName"] for e in bounced["data"]] == [f"User{blocked.id} Tester"]
    paged = await (await api.get(feed, params={"skip": 5, "take": 5}, headers=auth)).json()
    assert paged["meta"] == {"total": 7, "skip": 5, "take": 5} and len(paged["data"]) == 2
    opened = await (await api.get(feed, params={"type": "OPENED"}, headers=auth)).json()
    assert opened["meta"]["total"] == 0  # Telegram gives bots no read receipts


async def test_pause_resume_and_cancel_answer_with_their_times_and_counts(
    api, auth, emu, make_engine, tenant_id
):
    users = await emu.create_users(40)
    await subscribe(api, auth, [u.id for u in users])
    campaign = await created(api, auth, {"tenantId": tenant_id, "name": "Slow", "content": "Hi"})
    url = f"{BASE}/{campaign['id']}"
    await api.post(f"{url}/execute", headers=auth)
    await make_engine(rate=10).start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while (await (await api.get(url, headers=auth)).json())["sentCount"] < 3:
        assert loop.time() < deadline
        await asyncio.sleep(0.05)

    paused = await (await api.post(f"{url}/pause", headers=auth)).json()
    assert paused["status"] == "PAUSED" and paused["pausedAt"].endswith("Z")
    assert 3 <= paused["sentCount"] < 40
    resumed = await (await api.post(f"{url}/resume", headers=auth)).json()
    assert set(resumed) == {"id", "status", "resumedAt"} and resumed["status"] == "ACTIVE"
    cancelled = await (await api.post(f"{url}/cancel", headers=auth)).json()
    assert cancelled["status"] == "CANCELLED" and cancelled["sentCount"] < 40


async def test_an_opt_out_soon_after_a_message_counts_for_that_campaign(
    api, auth, core, clock, emu, make_engine, tenant, tenant_id
):
    users = await emu.create_users(2)
    await subscribe(api, auth, [u.id for u in users])
    campaign = await created(api, auth, {"tenantId": tenant_id, "name": "Go", "content": "Hi"})
    url = f"{BASE}/{campaign['id']}"
    await api.post(f"{url}/execute", headers=auth)
    await make_engine().start()
    await _until(api, auth, url, {"COMPLETED"})
    leaver, stayer = users
    async with core.uow() as uow:  # /stop in the bot, an hour later
        clock.set(datetime.now(UTC) + timedelta(hours=1))
        await change_status_from_bot(uow, tenant.id, leaver.id, SubscriberStatus.UNSUBSCRIBED)
    async with core.uow() as uow:  # four days later the other one leaves: not put down to it
        clock.set(datetime.now(UTC) + timedelta(days=4))
        await change_status_from_bot(uow, tenant.id, stayer.id, SubscriberStatus.UNSUBSCRIBED)

    stats = await (await api.get(f"{url}/stats", headers=auth)).json()
    assert stats["unsubscribedCount"] == 1
    feed = await api.get(f"{url}/interactions", params={"type": "UNSUBSCRIBED"}, headers=auth)
    [entry] = (await feed.json())["data"]
    assert entry["customerName"] == f"User{leaver.id} Tester"
    assert entry["metadata"]["withinHours"] == 72


async def test_a_press_on_a_test_send_counts_nowhere(api, auth, core, emu, make_engine, tenant_id):
    [user] = await emu.create_users(1)
    [subscriber] = await subscribe(api, auth, [user.id])
    campaign = await created(api, auth, {"tenantId": tenant_id, "name": "Try", "content": "Hi"})
    body = {"testMode": True, "testRecipients": [subscriber]}
    tried = await api.post(f"/api/v1/campaigns/{campaign['id']}/execute", json=body, headers=auth)
    assert tried.status == 200, await tried.text()
    await make_engine().start()
    await emu.wait_until(lambda: emu.stats()["totals"]["accepted"] == 1, within=10)
    async with core.uow() as uow:
        delivery = await uow.session.scalar(
            select(Delivery.id).where(
                Delivery.execution_id == Execution.id,
                Execution.campaign_id == parse_id("campaign", campaign["id"]),
            )
        )
        assert delivery is not None
        assert not await record_click(uow, delivery, 0, user.id)

    url = f"{BASE}/{campaign['id']}"
    stats = await (await api.get(f"{url}/stats", headers=auth)).json()
    assert (stats["sentCount"], stats["clickedCount"]) == (0, 0)
    feed = await (await api.get(f"{url}/interactions", headers=auth)).json()
    assert feed["meta"]["total"] == 0
    assert (await (await api.get(url, headers=auth)).json())["clickedCount"] == 0
