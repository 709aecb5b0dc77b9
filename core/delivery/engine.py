"""The send loop: claim ledger rows, pace them through the limiter, write results back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from aiogram import Bot

from core.context import CoreContext
from core.delivery.attempt import attempt_send
from core.delivery.budget_claim import claim_rows
from core.delivery.finalize import finalize_if_done
from core.delivery.health import TelegramHealth
from core.delivery.jobs import EngineSettings, Job
from core.delivery.limiter import Limiter, SendSlot, acquire_unless_unavailable
from core.delivery.liveness import recover_orphans
from core.delivery.outbox import ResultOutbox
from core.delivery.outcomes import TARGET_CHAT_UNAVAILABLE, Kind, Outcome
from core.delivery.running import RunningJobs
from core.events import DomainEvent
from storage.repositories.deliveries import ClaimedRow
from storage.repositories.subscribers import SubscriberRepository
from storage.repositories.workers import WorkerRepository

__all__ = ["DeliveryEngine", "EngineSettings", "Job"]
log = logging.getLogger(__name__)
HALTING_EVENTS = ("campaign.paused", "campaign.cancelled", "campaign.failed")
# How long a stopping engine lets its loops reach a safe point before cancelling them: a task
# cancelled inside a database call may leave its connection (and SQLite's lock) behind.
STOP_GRACE_SECONDS = 5.0


class DeliveryEngine:
    """One per process; any number of processes may send side by side on PostgreSQL."""

    def __init__(
        self,
        core: CoreContext,
        bot: Bot,
        limiter: Limiter,
        settings: EngineSettings | None = None,
    ) -> None:
        self.core = core
        self.bot = bot
        self.limiter = limiter
        self.settings = settings or EngineSettings()
        self._rng = random.Random()
        self._running = RunningJobs(core)
        self._told_unavailable: set[int] = set()  # runs whose rows show the limiter outage
        self._slots = asyncio.Semaphore(self.settings.max_in_flight)
        self._sends: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._stopping = False
        self._health = TelegramHealth(self.settings.outage_bound)
        self._outbox = ResultOutbox(core, self.settings, self._running, self._health, self._rng)
        for name in ("campaign.started", "campaign.resumed", *HALTING_EVENTS):
            core.bus.subscribe(name, self._on_event)

    async def _on_event(self, event: DomainEvent) -> None:
        # Only a fast path to stop at once: the ledger decides (claims need a running
        # execution, write-backs of an ended one skip what would be queued again).
        if event.name in HALTING_EVENTS:
            self._running.halt_campaign(event.campaign_id, event.name)
        self._wake.set()

    async def start(self) -> None:
        """Recover orphaned rows, then run the loop, the flusher and the heartbeat."""
        await self.recover()
        for coroutine in (self._dispatch_loop(), self._flush_loop(), self._heartbeat_loop()):
            self._tasks.append(asyncio.create_task(coroutine))

    async def stop(self) -> None:
        """Stop claiming, let in-flight sends finish, write everything back."""
        self._stopping = True
        self._wake.set()
        self._stop.set()
        if self._tasks:
            _, late = await asyncio.wait(self._tasks, timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
            for task in late:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._sends:
            await asyncio.wait(self._sends, timeout=30)
        await self.flush()
        async with self.core.uow() as uow:
            await WorkerRepository(uow.session).forget(self.settings.worker_id)

    async def recover(self) -> None:
        """Rows left `sending` by a dead worker become `unknown`; never resent silently."""
        recovered = await recover_orphans(self.core, self.settings)
        if recovered:
            log.warning("marked %d in-flight rows unknown after a restart", recovered)

    async def _stopped_within(self, seconds: float) -> bool:
        """Wait `seconds` or until stop() is called; True once stopping."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
        return self._stop.is_set()

    async def _heartbeat_loop(self) -> None:
        while not await self._stopped_within(self.settings.heartbeat_interval):
            try:
                async with self.core.uow() as uow:
                    await WorkerRepository(uow.session).beat(
                        self.settings.worker_id, self.core.clock()
                    )
                if not self.settings.single_process:
                    await self.recover()
            except Exception:
                log.exception("heartbeat failed")

    def _claim_size(self, job: Job) -> int:
        if job.rules.hourly is not None:
            return 1  # a capped run sends one message per free slot of its own limiter
        rate = self.limiter.rate(paid=job.paid)
        return max(5, min(self.settings.max_claim, int(rate * self.settings.claim_seconds)))

    async def _dispatch_loop(self) -> None:
        turn = 0
        while not self._stopping:
            try:
                jobs = await self._running.refresh()
                progressed = False
                if jobs:
                    top = [j for j in jobs if j.priority == jobs[0].priority]
                    ordered = top[turn % len(top) :] + top[: turn % len(top)] + jobs[len(top) :]
                    turn += 1
                    for job in ordered:
                        if await self._run_batch(job):
                            progressed = True
                            break
                if not progressed:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("dispatch loop error; retrying")
                await asyncio.sleep(self.settings.poll_interval)

    async def _run_batch(self, job: Job) -> bool:
        if self._outbox.has_failing:
            await self.flush()
        if not job.rules.ready() or job.execution_id in self._running.halted:
            return False
        if not self.limiter.unavailable:
            self._told_unavailable.clear()
        elif job.execution_id in self._told_unavailable:
            # Fail closed: claim nothing until the limiter answers again.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.limiter.wait_ready(), self.settings.poll_interval)
            return False
        else:
            # Once per run and outage: the claim below goes straight back marked with the
            # reason, so a run started while Redis is away says why it does not move.
            self._told_unavailable.add(job.execution_id)
        # A process killed now leaves at most one claim batch `unknown`: results not yet
        # written back and sends still in flight count against the next claim.
        if self._outbox.has_results:
            await self.flush()
        size = self._claim_size(job) - len(self._sends)
        if size < 1:
            await asyncio.wait(set(self._sends), timeout=self.settings.poll_interval,
                               return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
            return True
        async with self.core.uow() as uow:
            rows = await claim_rows(
                uow, job.execution_id, self.settings.worker_id, size, self.core.clock(),
                paid=job.paid,
            )  # fmt: skip
            recipients = {}
            needs_profiles = job.rules.quiet is not None
            if rows and (
                needs_profiles or any(job.content(r.variation).personalised for r in rows)
            ):
                recipients = await SubscriberRepository(uow.session).personal_data(
                    [r.subscriber_id for r in rows]
                )
        if not rows:
            async with self.core.uow() as uow:
                await finalize_if_done(uow, job.execution_id)
            return False
        handed = 0  # rows given to a send task; the rest go back to the queue however we leave
        held: str | None = None  # why the limiter holds sends back, if it does
        try:
            for row in rows:
                if self._stopping or job.execution_id in self._running.halted or self._health.fatal:
                    break
                recipient = recipients.get(row.subscriber_id)
                hold = job.rules.quiet_wait(self.core.clock(), (recipient or {}).get("timezone"))
                if hold > 0:
                    quiet = Outcome(Kind.RATE_LIMITED, code="QUIET_HOURS", retry_after=hold)
                    self._outbox.record(job.execution_id, row, quiet)
                    handed += 1
                    continue
                if job.rules.hourly is not None:
                    await job.rules.hourly.acquire()
                await self._slots.acquire()  # a free sender first: a granted slot never waits
                try:
                    slot = await acquire_unless_unavailable(
                        self.limiter, row.chat_id, paid=job.paid
                    )
                except BaseException:
                    self._slots.release()
                    raise
                if slot is None:
                    self._slots.release()
                    held = self.limiter.unavailable
                    break
                if job.execution_id in self._running.halted or self._stopping:
                    slot.done()
                    self._slots.release()
                    break
                task = asyncio.create_task(self._send(job, row, recipient, slot))
                self._sends.add(task)
                task.add_done_callback(self._sends.discard)
                handed += 1
        finally:
            self._outbox.release(job.execution_id, rows[handed:], held)
        return True

    async def _send(
        self, job: Job, row: ClaimedRow, recipient: dict[str, object] | None, slot: SendSlot
    ) -> None:
        chat_id = row.chat_id
        try:
            outcome = await attempt_send(self.bot, self.limiter, job, row, chat_id, recipient, slot)
            if outcome.kind is Kind.MIGRATED and outcome.migrate_to:
                chat_id = outcome.migrate_to
                slot = await self.limiter.acquire(chat_id, paid=job.paid, tracked=True)
                outcome = await attempt_send(
                    self.bot, self.limiter, job, row, chat_id, recipient, slot
                )
            if outcome.kind is Kind.FATAL and outcome.code == TARGET_CHAT_UNAVAILABLE:
                self._fail_job(job, outcome.detail or outcome.code)
            else:
                self._health.observe(outcome)
            self._outbox.record(job.execution_id, row, outcome, chat_id=chat_id, paid=job.paid)
        finally:
            self._slots.release()

    def _fail_job(self, job: Job, reason: str) -> None:
        """Stop this run alone (its target chat is unusable); the next flush fails it."""
        self._outbox.fail_run(job.execution_id, reason)
        self._wake.set()

    async def _flush_loop(self) -> None:
        while not await self._stopped_within(self.settings.flush_interval):
            try:
                await self.flush()
            except Exception:
                log.exception("write-back failed; will retry")

    async def flush(self) -> None:
        """Write accumulated results to the ledger, then close finished or failed executions."""
        await self._outbox.flush()
