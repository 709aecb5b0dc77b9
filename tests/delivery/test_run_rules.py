"""Scheduled runs' delivery settings in the engine: quiet hours and an hourly cap."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.campaigns import create_campaign
from core.executions import RunPlan, launch
from core.models import CampaignCreate
from core.subscribers import SubscriberInput, upsert_subscribers
from storage.audience import AudienceSpec
from storage.models import Delivery


async def run_with(core, actor, settings, subscribers):
    async with core.uow() as uow:
        await upsert_subscribers(uow, actor, subscribers)
        campaign = await create_campaign(
            uow, actor, CampaignCreate(name="Rules", messages=[{"content": "Hi"}])
        )
        plan = RunPlan(
            spec=AudienceSpec(tenant_id=actor.tenant_id), trigger="schedule", settings=settings
        )
        execution = await launch(uow, actor, campaign, plan)
        return execution.id


async def test_quiet_hours_hold_messages_in_the_recipients_zone(core, actor, emu, make_engine):
    quiet_user, awake_user = await emu.create_users(2)
    now = datetime.now(UTC)
    window = {"enabled": True, "start": (now - timedelta(hours=1)).strftime("%H:%M"),
              "end": (now + timedelta(hours=1)).strftime("%H:%M"), "timezone": "UTC"}  # fmt: skip
    # The second recipient lives 12 hours away: for them it is not quiet time.
    execution_id = await run_with(core, actor, {"quietHours": window}, [
        SubscriberInput(telegram_id=quiet_user.id),
        SubscriberInput(telegram_id=awake_user.id, timezone="Etc/GMT+12"),
    ])  # fmt: skip
    await make_engine().start()
    await emu.wait_until(lambda: len(emu.messages(awake_user.id)) == 1, within=10)
    await asyncio.sleep(0.5)
    assert emu.messages(quiet_user.id) == []
    async with core.uow() as uow:
        held = await uow.session.scalar(
            select(Delivery).where(
                Delivery.execution_id == execution_id, Delivery.status == "pending"
            )
        )
    assert held is not None and held.attempts == 0
    assert held.not_before > now + timedelta(minutes=55)


async def test_messages_per_hour_spreads_sends_evenly(core, actor, emu, make_engine):
    users = await emu.create_users(5)
    settings = {"rateLimiting": {"enabled": True, "messagesPerHour": 36_000}}  # 10 per second
    await run_with(core, actor, settings, [SubscriberInput(telegram_id=u.id) for u in users])
    await make_engine(rate=100).start()
    await emu.wait_until(lambda: emu.stats()["totals"]["accepted"] == 5, within=10)
    times = next(iter(emu.stats(include_times=True)["bots"].values()))["send_times"]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.08  # 0.1 s apart, less the clock's jitter; not a burst of 5
