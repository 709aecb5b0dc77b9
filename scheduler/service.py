"""The scheduler: leads (or stands by), rebuilds its timers from the database, and resyncs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.triggers.interval import IntervalTrigger

from core.context import CoreContext
from core.events import DomainEvent
from core.scheduling import recovery
from core.scheduling.service import CHANGED
from scheduler.changes import reread
from scheduler.leader import LeaderLock
from scheduler.timers import Timers
from storage.repositories.schedule_timers import TimerRepository
from storage.signals import Kind, Signal, SignalListener

log = logging.getLogger(__name__)


class SchedulerService(Timers):
    """The timers of the one leading process: rebuilt from the database when it takes the
    lead, kept in step by other processes' signals and a periodic resync."""

    def __init__(
        self,
        core: CoreContext,
        leader: LeaderLock,
        *,
        grace: timedelta = timedelta(hours=1),
        resync_seconds: float = 30.0,
        trigger_poll_seconds: float = 1.0,
        standby_poll_seconds: float = 5.0,
        signals: SignalListener | None = None,
    ) -> None:
        super().__init__(core, leader)
        self.grace = grace
        self.resync_seconds = resync_seconds
        self.trigger_poll_seconds = trigger_poll_seconds
        self.standby_poll_seconds = standby_poll_seconds
        self._tasks: list[asyncio.Task[None]] = []
        self.leading = asyncio.Event()  # set while this process leads
        self._armed = asyncio.Event()  # rebuilt since leading: signals may apply
        self._inbox: asyncio.Queue[Signal] = asyncio.Queue()
        postgres = leader.engine.dialect.name == "postgresql"
        self._own_signals = signals is None and postgres
        self.signals = SignalListener(leader.engine) if self._own_signals else signals
        if self.signals is not None:
            self.signals.subscribe(Kind.SCHEDULE, self._enqueue)
            self.signals.subscribe(Kind.CAMPAIGN, self._enqueue)
            self.signals.on_connected(self._resync)  # signals sent while away are lost
        core.bus.subscribe(CHANGED, self._on_changed)
        core.bus.subscribe("campaign.scheduled", self._on_campaign)
        core.bus.subscribe("campaign.unscheduled", self._on_campaign)
        core.bus.subscribe("campaign.cancelled", self._on_campaign)

    async def start(self) -> None:
        """Lead if possible (else wait as standby), then rebuild every timer from the database."""
        self.timer.start()
        self._tasks.append(asyncio.create_task(self._drainer()))
        self._tasks.append(asyncio.create_task(self._apply_signals()))
        if self._own_signals and self.signals is not None:
            await self.signals.start()
        if await self.leader.try_acquire():
            await self._lead()
        else:
            log.info("another process schedules; standing by")
            self._tasks.append(asyncio.create_task(self._standby()))

    async def stop(self) -> None:
        """Stop timers and give up leadership."""
        self.leading.clear()
        if self.timer.running:
            self.timer.shutdown(wait=False)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._own_signals and self.signals is not None:
            await self.signals.stop()
        await self.leader.release()

    async def _standby(self) -> None:
        # Polling is the point: the lock frees when the leader's connection dies.
        while not await self.leader.try_acquire():  # noqa: ASYNC110
            await asyncio.sleep(self.standby_poll_seconds)
        log.info("took over scheduling")
        await self._lead()

    async def _lead(self) -> None:
        self.leading.set()
        await self.rebuild()
        self.timer.add_job(self._check_lease, IntervalTrigger(seconds=self.standby_poll_seconds),
                           id="lease", replace_existing=True, max_instances=1)  # fmt: skip

    async def _check_lease(self) -> None:
        if self.leading.is_set() and not await self.leader.still_held():
            log.warning("lost the scheduler lock; standing by")
            self._step_down()
            self._tasks.append(asyncio.create_task(self._standby()))

    def _step_down(self) -> None:
        """Forget every timer; whoever leads next rebuilds them from the database."""
        self.leading.clear()
        self._armed.clear()
        for job_id in ("resync", "triggers", "lease", "wake"):
            with contextlib.suppress(JobLookupError):
                self.timer.remove_job(job_id)
        self._forget()

    async def rebuild(self) -> None:
        """Catch up on missed runs, then set a timer for everything waiting."""
        async with self.core.uow() as uow:
            waiting = await TimerRepository(uow.session).waiting_schedules()
            campaigns = await TimerRepository(uow.session).scheduled_campaigns()
        now = self.core.clock()
        for schedule_id, next_run in waiting:
            when: datetime | None = next_run
            if next_run <= now:
                async with self.core.uow() as uow:
                    when = await recovery.catch_up(uow, schedule_id, self.grace)
            self._set(f"schedule:{schedule_id}", when)
        for campaign_id, at in campaigns:
            if at <= now and now - at > self.grace:
                async with self.core.uow() as uow:
                    await recovery.miss_campaign(uow, campaign_id)
            else:
                self._set(f"campaign:{campaign_id}", at)
        self.timer.add_job(self._resync, IntervalTrigger(seconds=self.resync_seconds),
                           id="resync", replace_existing=True)  # fmt: skip
        self.timer.add_job(self.run_triggers, IntervalTrigger(seconds=self.trigger_poll_seconds),
                           id="triggers", replace_existing=True, max_instances=1)  # fmt: skip
        self._armed.set()
        log.info("scheduler armed: %d schedules, %d campaigns", len(waiting), len(campaigns))

    def _enqueue(self, signal: Signal) -> None:
        if self.leading.is_set():  # a standby keeps nothing: its rebuild reads everything
            self._inbox.put_nowait(signal)

    def _resync(self) -> None:
        # Repairs what a lost signal (or a change made while disconnected) left out.
        self._enqueue(Signal(Kind.SCHEDULE, None))
        self._enqueue(Signal(Kind.CAMPAIGN, None))

    async def _apply_signals(self) -> None:
        """Re-read what other processes changed, one batch of signals at a time."""
        while True:
            batch = [await self._inbox.get()]
            while not self._inbox.empty():
                batch.append(self._inbox.get_nowait())
            await self._armed.wait()  # a rebuild's older snapshot must not land after these
            try:
                await self._reread(batch)
            except Exception:
                log.exception(
                    "re-reading %d changes failed; the next resync repairs it", len(batch)
                )

    async def _reread(self, batch: list[Signal]) -> None:
        found = await reread(self.core, batch)
        if self.leader.held and self._armed.is_set():
            for key, at in found.items():
                self._set(key, at)

    async def reload(self, schedule_id: int) -> None:
        """Re-read one schedule's next run and reset its timer."""
        async with self.core.uow() as uow:
            next_run = await TimerRepository(uow.session).next_run(schedule_id)
        self._set(f"schedule:{schedule_id}", next_run)

    async def _on_changed(self, event: DomainEvent) -> None:
        if self.leader.held:
            await self.reload(int(event.data["scheduleId"]))

    async def _on_campaign(self, event: DomainEvent) -> None:
        if not self.leader.held or event.campaign_id is None:
            return
        async with self.core.uow() as uow:
            at = await TimerRepository(uow.session).campaign_time(event.campaign_id)
        self._set(f"campaign:{event.campaign_id}", at)
