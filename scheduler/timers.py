"""The timer's jobs: a heap of due times under one APScheduler wake-up, drained in batches."""

from __future__ import annotations

import asyncio
import heapq
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from core.context import CoreContext
from core.scheduling import runs, triggers
from scheduler.leader import LeaderLock

log = logging.getLogger(__name__)
BATCH = 50  # schedules fired in one unit of work (a short write transaction on SQLite)
PARALLEL = 3  # batches in flight at once (PostgreSQL)
# A ring re-arming the wake-up for "now" must not be refused while its own task finishes.
WAKE_INSTANCES = 1000


class Timers:
    """One timer per due schedule or scheduled campaign, fired in batches while leading.

    The timers live in a heap; APScheduler holds a single wake-up job for the earliest of
    them, so setting 10,000 timers costs a heap push each rather than an APScheduler job.
    """

    def __init__(self, core: CoreContext, leader: LeaderLock) -> None:
        self.core = core
        self.leader = leader
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

    def _forget(self) -> None:
        """Drop every timer (on stepping down)."""
        self._timers.clear()
        self._heap.clear()
        self._due.clear()
        self._wake_at = None

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
