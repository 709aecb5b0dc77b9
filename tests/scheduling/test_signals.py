"""Scheduling from any process: two services on two engines (two processes) of one PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.auth import default_tenant
from core.campaign_actions import schedule_campaign
from core.campaigns import create_campaign, get_campaign
from core.context import Actor, CoreContext
from core.models import CampaignCreate
from core.scheduling import service as schedules
from core.scheduling.inputs import ScheduleCreate
from core.subscribers import SubscriberInput, upsert_subscribers
from scheduler.leader import LeaderLock
from scheduler.service import SchedulerService
from storage.all_models import Base
from storage.db import create_session_factory
from storage.leader_lock import LOCK_KEY_SQL
from storage.models import Execution
from storage.signals import CHANNEL_SQL, Kind, Signal, parse
from tests.conftest import _pg_engine

QUIET = {"resync_seconds": 600.0}  # no periodic resync: what arrives, arrives by signal


@dataclass
class Process:
    """What one process of the service has: its engine, core and scheduler."""

    engine: AsyncEngine
    core: CoreContext
    scheduler: SchedulerService


@pytest.fixture
async def make(pg_schema: str) -> AsyncIterator[Callable[..., Process]]:
    """Builds processes on a freshly emptied schema; stops them all afterwards."""
    made: list[Process] = []
    first = _pg_engine(pg_schema)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with first.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await first.dispose()

    def build(**kw: float) -> Process:
        engine = _pg_engine(pg_schema)
        core = CoreContext(session_factory=create_session_factory(engine))
        process = Process(engine, core, SchedulerService(core, LeaderLock(engine), **kw))
        made.append(process)
        return process

    yield build
    for process in reversed(made):
        await process.scheduler.stop()
        await process.engine.dispose()


async def until(check: Callable[[], object], seconds: float = 10.0) -> float:
    """Wait until `check()` is true; returns when (monotonic). Fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)
    return time.monotonic()


async def leader_and_standby(make: Callable[..., Process], **standby: float) -> tuple:
    leader = make(**QUIET, standby_poll_seconds=0.5)
    await leader.scheduler.start()
    follower = make(**QUIET, **standby)
    await follower.scheduler.start()
    assert leader.scheduler.leading.is_set() and not follower.scheduler.leading.is_set()
    for process in (leader, follower):
        assert process.scheduler.signals is not None
        await asyncio.wait_for(process.scheduler.signals.connected.wait(), 10)
    return leader, follower


async def draft(core: CoreContext) -> tuple[Actor, int]:
    async with core.uow() as uow:
        tenant = await default_tenant(uow)
    actor = Actor(tenant.id, "api:test")
    async with core.uow() as uow:
        await upsert_subscribers(uow, actor, [SubscriberInput(telegram_id=t) for t in (31, 32)])
    async with core.uow() as uow:
        campaign = await create_campaign(
            uow, actor, CampaignCreate(name="From elsewhere", messages=[{"content": "Hi"}])
        )
        return actor, campaign.id


async def schedule_at(core: CoreContext, actor: Actor, campaign_id: int, at: datetime) -> None:
    async with core.uow() as uow:
        campaign = await get_campaign(uow, actor, f"camp_{campaign_id}")
        await schedule_campaign(uow, actor, campaign, at)


async def executions(core: CoreContext, **where: int) -> list[Execution]:
    async with core.uow() as uow:
        query = select(Execution)
        for key, value in where.items():
            query = query.where(getattr(Execution, key) == value)
        return list(await uow.session.scalars(query))


def soon(seconds: float) -> datetime:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).replace(microsecond=0)


def fired(process: Process, key: str) -> list[tuple[str, datetime, datetime]]:
    return [entry for entry in process.scheduler.fired if entry[0] == key]


async def test_a_campaign_scheduled_elsewhere_fires_once_on_the_leader_on_time(make):
    leader, follower = await leader_and_standby(make)
    actor, campaign_id = await draft(follower.core)
    at = soon(2.5)
    await schedule_at(follower.core, actor, campaign_id, at)
    committed = time.monotonic()
    key = f"campaign:{campaign_id}"
    signalled = await until(lambda: key in leader.scheduler._timers)
    assert signalled - committed < 1.5  # the signal, not a resync (those are 600 s apart)
    await until(lambda: fired(leader, key))
    (found,) = await executions(leader.core, campaign_id=campaign_id)
    assert found.trigger == "scheduled"
    assert (found.started_at - at).total_seconds() < 1.5
    ((_, due, fired_at),) = fired(leader, key)
    assert due == at and (fired_at - at).total_seconds() < 1.5
    assert fired(follower, key) == []


async def test_a_schedule_paused_elsewhere_stops_firing(make):
    leader, follower = await leader_and_standby(make)
    actor, campaign_id = await draft(follower.core)
    at = soon(3.5)
    body = {"campaignId": f"camp_{campaign_id}", "type": "one-time",
            "schedule": {"startDateTime": at.isoformat()}}  # fmt: skip
    async with follower.core.uow() as uow:
        made = await schedules.create_schedule(uow, actor, ScheduleCreate.model_validate(body))
    key = f"schedule:{made.id}"
    await until(lambda: leader.scheduler._timers.get(key) == at, 1.5)
    async with follower.core.uow() as uow:
        schedule = await schedules.get_schedule(uow, actor, f"sched_{made.id}", lock=True)
        await schedules.pause_schedule(uow, actor, schedule)
    await until(lambda: key not in leader.scheduler._timers, 1.5)
    await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()) + 0.5)
    assert await executions(leader.core, schedule_id=made.id) == []
    assert fired(leader, key) == []


async def test_a_lost_notify_is_repaired_by_the_reconnect_resync(make):
    leader, follower = await leader_and_standby(make)
    listener = leader.scheduler.signals
    assert listener is not None
    listener.retry_seconds = 1.0
    actor, campaign_id = await draft(follower.core)
    pid = await listener.backend_pid()
    async with follower.engine.connect() as conn:
        assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await until(lambda: not listener.connected.is_set())
    at = soon(3.0)
    await schedule_at(follower.core, actor, campaign_id, at)  # nobody listens: this is lost
    key = f"campaign:{campaign_id}"
    assert key not in leader.scheduler._timers
    await asyncio.wait_for(listener.connected.wait(), 10)
    assert await listener.backend_pid() != pid
    await until(lambda: fired(leader, key))
    (found,) = await executions(leader.core, campaign_id=campaign_id)
    assert (found.started_at - at).total_seconds() < 1.5


async def crash(process: Process) -> int:
    """The process dies: its timers and tasks stop; returns its lock connection's backend."""
    service = process.scheduler
    pid = await service.leader.backend_pid()
    assert pid is not None
    service.timer.shutdown(wait=False)
    for task in service._tasks:
        task.cancel()
    assert service.signals is not None
    await service.signals.stop()
    return pid


async def terminate(engine: AsyncEngine, pid: int) -> None:
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def test_a_standby_takes_over_a_dead_leader_and_fires_what_is_due_once(make):
    leader, follower = await leader_and_standby(make, standby_poll_seconds=3.0)
    actor, campaign_id = await draft(follower.core)
    at = soon(1.5)  # due while nobody leads (the standby polls every 3 s)
    await schedule_at(follower.core, actor, campaign_id, at)
    await terminate(follower.engine, await crash(leader))
    killed = time.monotonic()
    took_over = await until(lambda: follower.scheduler.leading.is_set(), 10)
    assert took_over - killed < 10
    key = f"campaign:{campaign_id}"
    await until(lambda: fired(follower, key))
    (found,) = await executions(follower.core, campaign_id=campaign_id)
    assert found.started_at >= at
    # Once: a second rebuild (as after another failover) finds nothing left to fire.
    await follower.scheduler.rebuild()
    assert len(await executions(follower.core, campaign_id=campaign_id)) == 1
    assert fired(leader, key) == []


async def test_a_leader_that_loses_its_lock_steps_down(make):
    leader, follower = await leader_and_standby(make, standby_poll_seconds=0.2)
    pid = await leader.scheduler.leader.backend_pid()
    assert pid is not None
    async with follower.engine.connect() as thief:
        await terminate(follower.engine, pid)
        # Take the lock the moment the dead backend frees it, so neither service can.
        await thief.execute(text(f"SELECT pg_advisory_lock({LOCK_KEY_SQL})"))
        await until(lambda: not leader.scheduler.leading.is_set(), 5)
        assert not follower.scheduler.leading.is_set()
        assert leader.scheduler._timers == {} and leader.scheduler.timer.get_job("resync") is None
        await thief.execute(text(f"SELECT pg_advisory_unlock({LOCK_KEY_SQL})"))
        await thief.commit()
    await until(
        lambda: leader.scheduler.leading.is_set() or follower.scheduler.leading.is_set(), 10
    )
    assert not (leader.scheduler.leading.is_set() and follower.scheduler.leading.is_set())


async def test_the_periodic_resync_covers_campaigns_changed_without_a_signal(make):
    leader = make(resync_seconds=1.0)
    await leader.scheduler.start()
    _, campaign_id = await draft(leader.core)
    at = soon(3.0)
    async with leader.engine.begin() as conn:  # plain SQL: no ORM change, so no NOTIFY
        await conn.execute(
            text("UPDATE campaigns SET status = 'scheduled', scheduled_at = :at WHERE id = :id"),
            {"at": at, "id": campaign_id},
        )
    key = f"campaign:{campaign_id}"
    await until(lambda: key in leader.scheduler._timers, 3)
    await until(lambda: fired(leader, key))
    assert len(await executions(leader.core, campaign_id=campaign_id)) == 1


async def test_a_rolled_back_change_sends_no_signal(make):
    process = make()
    actor, first = await draft(process.core)
    _, second = await draft(process.core)
    heard: list[str] = []
    arrived = asyncio.Event()
    async with process.engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        channel = await raw.fetchval(f"SELECT {CHANNEL_SQL}")

        def hear(_conn: object, _pid: int, _channel: str, payload: str) -> None:
            heard.append(payload)
            arrived.set()

        await raw.add_listener(channel, hear)
        try:
            async with process.core.uow() as uow:
                campaign = await get_campaign(uow, actor, f"camp_{first}")
                await schedule_campaign(uow, actor, campaign, soon(60))
                await uow.rollback()
            await schedule_at(process.core, actor, second, soon(60))
            await asyncio.wait_for(arrived.wait(), 5)
        finally:
            await raw.remove_listener(channel, hear)
    assert [parse(payload)[1] for payload in heard] == [  # type: ignore[index]
        Signal(Kind.CAMPAIGN, frozenset({second}))
    ]
