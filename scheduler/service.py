"""APScheduler (in-memory jobs) as the timer; the database is the truth, rebuilt at start."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from core.context import CoreContext
from core.events import DomainEvent
from core.scheduling import runs, triggers
from core.scheduling.service import CHANGED
from scheduler.changes import reread
from scheduler.leader import LeaderLock
from storage.repositories.schedule_timers import TimerRepository
from storage.signals import Kind, Signal, SignalListener

log = logging.getLogger(__name__)
BATCH = 50  # schedules fired in one unit of work (a short write transaction on SQLite)
PARALLEL = 3  # batches in flight at once (PostgreSQL)
# A ring re-arming the wake-up for "now" must not be refused while its own task finishes.
WAKE_INSTANCES = 1000


class SchedulerService:
    """Keeps one timer per due schedule or scheduled campaign and fires them in batches.

    The timers live in a heap; APScheduler holds a single wake-up job for the earliest of
    them, so setting 10,000 timers costs a heap push each rather than an APScheduler job.
    """

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
        self.core = core
        self.leader = leader
        self.grace = grace
        self.resync_seconds = resync_seconds
        self.trigger_poll_seconds = trigger_poll_seconds
        self.standby_poll_seconds = standby_poll_seconds
        self.timer = AsyncIOScheduler(timezone=UTC)
        self.fired: list[tuple[str, datetime, datetime]] = []  # (key, due, fired at): lateness
        self._timers: dict[str, datetime] = {}  # key -> when it rings (the heap may hold stale)
        self._heap: list[tuple[datetime, str]] = []
        self._wake_at: datetime | None = None
        self._due: dict[str, datetime] = {}  # rung, waiting for the drainer
        self._firing: dict[str, datetime] = {}  # taken by the drainer, not yet fired
        self._drain = asyncio.Event()
        # Batches overlap their database round trips on PostgreSQL; SQLite has one writer.
        self._gate = asyncio.Semaphore(1 if leader.engine.dialect.name == "sqlite" else PARALLEL)
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
        self._timers.clear()
        self._heap.clear()
        self._due.clear()
        self._wake_at = None

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
                    when = await runs.catch_up(uow, schedule_id, self.grace)
            self._set(f"schedule:{schedule_id}", when)
        for campaign_id, at in campaigns:
            if at <= now and now - at > self.grace:
                async with self.core.uow() as uow:
                    await runs.miss_campaign(uow, campaign_id)
            else:
                self._set(f"campaign:{campaign_id}", at)
        self.timer.add_job(self._resync, IntervalTrigger(seconds=self.resync_seconds),
                           id="resync", replace_existing=True)  # fmt: skip
        self.timer.add_job(self.run_triggers, IntervalTrigger(seconds=self.trigger_poll_seconds),
                           id="triggers", replace_existing=True, max_instances=1)  # fmt: skip
        self._armed.set()
        log.info("scheduler armed: %d schedules, %d campaigns", len(waiting), len(campaigns))

    def _set(self, key: str, when: datetime | None) -> None:
        if when is None:
            self._timers.pop(key, None)
            return
        if when in (self._timers.get(key), self._due.get(key), self._firing.get(key)):
            return  # already set, or ringing right now (a resync read the unfired row)
        self._timers[key] = when
        if len(self._heap) > 2 * len(self._timers) + 1000:  # drop entries of changed timers
            self._heap = [(at, name) for name, at in self._timers.items()]
            heapq.heapify(self._heap)
        else:
            heapq.heappush(self._heap, (when, key))
        if self._wake_at is None or when < self._wake_at:
            self._arm(when)

    def _arm(self, when: datetime) -> None:
        self._wake_at = when
        self.timer.add_job(
            self._ring, DateTrigger(run_date=max(when, datetime.now(UTC))), id="wake",
            replace_existing=True, misfire_grace_time=None, max_instances=WAKE_INSTANCES,
        )  # fmt: skip

    async def _ring(self) -> None:
        # Many timers may ring in the same second: queue them and fire in one drain pass.
        self._wake_at = None
        now = datetime.now(UTC)
        heap, timers = self._heap, self._timers
        while heap and (heap[0][0] <= now or timers.get(heap[0][1]) != heap[0][0]):
            when, key = heapq.heappop(heap)
            if timers.get(key) == when:
                del timers[key]
                self._due[key] = when
        if heap:
            self._arm(heap[0][0])
        if self._due:
            self._drain.set()

    async def _drainer(self) -> None:
        while True:
            await self._drain.wait()
            self._drain.clear()
            self._firing, self._due = self._due, {}
            if not self.leader.held:  # stepped down meanwhile: the next leader fires these
                self._firing = {}
                continue
            ordered = sorted(self._firing.items(), key=lambda item: item[1])
            await self._fire_each({k: when for k, when in ordered if not k.startswith("schedule:")})
            due = [(int(k.split(":")[1]), when) for k, when in ordered if k.startswith("schedule:")]
            batches = [dict(due[i : i + BATCH]) for i in range(0, len(due), BATCH)]
            await asyncio.gather(*(self._fire_batch(batch) for batch in batches))
            self._firing = {}

    async def _fire_batch(self, batch: dict[int, datetime]) -> None:
        async with self._gate:
            try:
                await self._fire_schedules(batch)
            except Exception:
                # One bad schedule must not hold back the others: retry them one at a time.
                log.exception("firing %d schedules together failed; firing each alone", len(batch))
                await self._fire_each({f"schedule:{sid}": when for sid, when in batch.items()})

    async def _fire_each(self, due: dict[str, datetime]) -> None:
        for key, when in due.items():
            try:
                await self.fire(key, when)
            except Exception:
                log.exception("firing %s failed", key)

    async def _fire_schedules(self, due: dict[int, datetime]) -> None:
        async with self.core.uow() as uow:
            fired = await runs.fire_many(uow, due)
        at = datetime.now(UTC)
        for schedule_id, when in due.items():
            key = f"schedule:{schedule_id}"
            self.fired.append((key, when, at))
            self._firing.pop(key, None)
            self._set(key, fired[schedule_id].next_run if schedule_id in fired else None)

    async def fire(self, key: str, when: datetime) -> None:
        """Fire one timer and set the next one."""
        kind, raw_id = key.split(":")
        if kind == "schedule":
            await self._fire_schedules({int(raw_id): when})
            return
        async with self.core.uow() as uow:
            await runs.fire_campaign(uow, int(raw_id), when)
        self.fired.append((key, when, datetime.now(UTC)))
        self._firing.pop(key, None)
        self._set(key, None)

    async def run_triggers(self) -> int:
        """Start trigger-based sends whose delay has passed."""
        if not self.leader.held:
            return 0
        async with self.core.uow() as uow:
            return await triggers.run_due_jobs(uow)

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
