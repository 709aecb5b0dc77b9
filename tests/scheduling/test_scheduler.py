"""The timer: firing, advancing across DST, catch-up after downtime, once-only, triggers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from core.context import Actor, CoreContext
from core.scheduling import service as schedules
from core.scheduling.inputs import ScheduleCreate
from core.scheduling.triggers import EventIn, ingest
from core.subscribers import SubscriberInput, upsert_subscribers
from scheduler.leader import LeaderLock
from scheduler.service import SchedulerService
from storage.models import Execution
from storage.models_scheduling import Schedule, ScheduleRun


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def setup(core: CoreContext, tenant, body: dict) -> int:
    actor = Actor(tenant.id, "api:test")
    async with core.uow() as uow:
        await upsert_subscribers(uow, actor, [SubscriberInput(telegram_id=t) for t in (11, 12, 13)])
    campaign_id, _ = await launch_draft(core, actor)
    async with core.uow() as uow:
        made = await schedules.create_schedule(
            uow, actor, ScheduleCreate.model_validate({"campaignId": f"camp_{campaign_id}", **body})
        )
        return made.id


async def launch_draft(core, actor):
    from core.campaigns import create_campaign
    from core.models import CampaignCreate

    async with core.uow() as uow:
        campaign = await create_campaign(
            uow, actor, CampaignCreate(name="Daily tips", messages=[{"content": "Tip!"}])
        )
        return campaign.id, None


async def schedule_row(core, schedule_id) -> Schedule:
    async with core.uow() as uow:
        return await uow.session.get(Schedule, schedule_id)


async def count(core, model, **where) -> int:
    async with core.uow() as uow:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(await uow.session.scalar(query))


def service(core: CoreContext, engine: AsyncEngine, **kw) -> SchedulerService:
    return SchedulerService(core, LeaderLock(engine), **kw)


async def test_daily_schedule_fires_and_follows_dst(core, engine, clock, tenant):
    clock.set(utc(2024, 3, 29, 12))
    sid = await setup(core, tenant, {"type": "recurring", "schedule": {"recurring": {
        "pattern": "daily", "timeOfDay": "09:00", "timezone": "Europe/London"}}})  # fmt: skip
    timer = service(core, engine)
    seen = []
    for _ in range(4):
        row = await schedule_row(core, sid)
        seen.append(row.next_run_at)
        clock.set(row.next_run_at + timedelta(seconds=1))
        await timer.fire(f"schedule:{sid}", row.next_run_at)
    london = [s.astimezone(ZoneInfo("Europe/London")) for s in seen]
    assert [(d.day, d.hour) for d in london] == [(30, 9), (31, 9), (1, 9), (2, 9)]
    assert [s.hour for s in seen] == [9, 8, 8, 8]  # UTC: the clocks went forward on 31 March
    assert await count(core, Execution, schedule_id=sid) == 4
    assert (await schedule_row(core, sid)).run_count == 4


async def test_the_same_time_never_fires_twice(core, engine, clock, tenant):
    clock.set(utc(2024, 6, 1, 8))
    sid = await setup(core, tenant, {"type": "recurring", "schedule": {"recurring": {
        "pattern": "daily", "timeOfDay": "09:00", "timezone": "UTC"}}})  # fmt: skip
    due = (await schedule_row(core, sid)).next_run_at
    clock.set(due)
    timer = service(core, engine)
    await asyncio.gather(*(timer.fire(f"schedule:{sid}", due) for _ in range(3)))
    assert await count(core, ScheduleRun, schedule_id=sid) == 1
    assert await count(core, Execution, schedule_id=sid) == 1


async def test_max_occurrences_completes_the_schedule(core, engine, clock, tenant):
    clock.set(utc(2024, 6, 1, 8))
    sid = await setup(core, tenant, {"type": "recurring", "schedule": {"recurring": {
        "pattern": "daily", "timeOfDay": "09:00", "maxOccurrences": 2}}})  # fmt: skip
    timer = service(core, engine)
    for _ in range(2):
        due = (await schedule_row(core, sid)).next_run_at
        clock.set(due)
        await timer.fire(f"schedule:{sid}", due)
    row = await schedule_row(core, sid)
    assert (row.status, row.next_run_at, row.run_count) == ("completed", None, 2)


async def test_downtime_within_grace_fires_once_beyond_grace_is_missed(core, engine, clock, tenant):
    clock.set(utc(2024, 6, 1, 8))
    sid = await setup(core, tenant, {"type": "recurring", "schedule": {"recurring": {
        "pattern": "daily", "timeOfDay": "09:00"}}})  # fmt: skip
    clock.set(utc(2024, 6, 1, 9, 40))  # down through 09:00, back 40 minutes later
    for _ in range(2):  # a second restart must not fire it again
        timer = service(core, engine, grace=timedelta(hours=1))
        await timer.rebuild()
        timer.timer.remove_all_jobs()
    assert await count(core, Execution, schedule_id=sid) == 1
    assert (await schedule_row(core, sid)).next_run_at == utc(2024, 6, 2, 9)

    clock.set(utc(2024, 6, 4, 12))  # down for two days beyond grace
    timer = service(core, engine, grace=timedelta(hours=1))
    await timer.rebuild()
    timer.timer.remove_all_jobs()
    assert await count(core, Execution, schedule_id=sid) == 1
    assert await count(core, ScheduleRun, schedule_id=sid, status="missed") == 3
    assert (await schedule_row(core, sid)).next_run_at == utc(2024, 6, 5, 9)


async def test_the_real_timer_fires_a_one_time_schedule(core, engine, tenant):
    at = (datetime.now(UTC) + timedelta(seconds=1.5)).replace(microsecond=0) + timedelta(seconds=1)
    sid = await setup(
        core, tenant, {"type": "one-time", "schedule": {"startDateTime": at.isoformat()}}
    )
    timer = service(core, engine)
    await timer.start()
    try:
        for _ in range(100):
            if await count(core, Execution, schedule_id=sid):
                break
            await asyncio.sleep(0.05)
    finally:
        await timer.stop()
    assert await count(core, Execution, schedule_id=sid) == 1
    assert (await schedule_row(core, sid)).status == "completed"
    key, due, fired = timer.fired[0]
    assert key == f"schedule:{sid}" and (fired - due).total_seconds() < 1.0


async def test_events_trigger_one_send_per_event(core, engine, clock, tenant):
    sid = await setup(core, tenant, {"type": "trigger-based", "schedule": {"triggers": [{
        "type": "user_event", "conditions": {"event": "user_registered", "source": "website"},
        "delay": {"value": 1, "unit": "hours"}}]}})  # fmt: skip
    actor = Actor(tenant.id, "api:test")
    clock.set(utc(2024, 6, 1, 8))
    events = [
        EventIn(
            event="user_registered", telegram_id=11, event_id="e1", properties={"source": "website"}
        ),
        EventIn(
            event="user_registered", telegram_id=11, event_id="e1", properties={"source": "website"}
        ),
        EventIn(
            event="user_registered", telegram_id=12, event_id="e2", properties={"source": "ads"}
        ),
        EventIn(event="user_registered", telegram_id=999, event_id="e3"),
    ]
    async with core.uow() as uow:
        results = await ingest(uow, actor, events)
    assert [(r.status, r.triggered) for r in results] == [
        ("accepted", 1), ("duplicate", 0), ("accepted", 0), ("unknown_subscriber", 0)]  # fmt: skip
    timer = service(core, engine)
    assert await timer.leader.try_acquire()
    assert await timer.run_triggers() == 0  # the delay has not passed
    clock.set(utc(2024, 6, 1, 9, 0, 1))
    assert await timer.run_triggers() == 1
    assert await timer.run_triggers() == 0
    await timer.leader.release()
    async with core.uow() as uow:
        execution = await uow.session.scalar(select(Execution).where(Execution.schedule_id == sid))
    assert execution.total == 1 and execution.trigger == "trigger"


async def test_scheduled_campaign_starts_at_its_time(core, engine, clock, tenant):
    actor = Actor(tenant.id, "api:test")
    async with core.uow() as uow:
        await upsert_subscribers(uow, actor, [SubscriberInput(telegram_id=21)])
    campaign_id, _ = await launch_draft(core, actor)
    from core.campaign_actions import schedule_campaign
    from core.campaigns import get_campaign

    clock.set(utc(2024, 6, 1, 8))
    async with core.uow() as uow:
        campaign = await get_campaign(uow, actor, f"camp_{campaign_id}")
        await schedule_campaign(uow, actor, campaign, utc(2024, 6, 1, 10))
    clock.set(utc(2024, 6, 1, 10))
    timer = service(core, engine)
    await timer.fire(f"campaign:{campaign_id}", utc(2024, 6, 1, 10))
    async with core.uow() as uow:
        campaign = await get_campaign(uow, actor, f"camp_{campaign_id}")
        assert campaign.status == "active"
    assert await count(core, Execution, campaign_id=campaign_id) == 1


async def test_only_one_leader_on_postgres(engine, backend):
    if backend != "postgres":
        return  # SQLite runs one process by rule (README)
    first, second = LeaderLock(engine), LeaderLock(engine)
    assert await first.try_acquire()
    assert not await second.try_acquire()
    await first.release()
    assert await second.try_acquire()
    await second.release()
