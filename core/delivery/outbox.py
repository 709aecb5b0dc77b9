"""Results waiting for the ledger: each run's batch, the runs to fail, and the flush of both."""

from __future__ import annotations

import logging
import random
from collections import defaultdict

from core.context import CoreContext
from core.delivery.finalize import fail_execution
from core.delivery.health import TelegramHealth
from core.delivery.jobs import EngineSettings
from core.delivery.limiter import LIMITER_UNAVAILABLE
from core.delivery.outcomes import Kind, Outcome
from core.delivery.results import Batch, apply_outcome
from core.delivery.running import RunningJobs
from core.delivery.writeback import write_results
from storage.repositories.deliveries import ClaimedRow

log = logging.getLogger(__name__)
RELEASED = Outcome(Kind.RATE_LIMITED, code="RELEASED")


class ResultOutbox:
    """Collects outcomes per run in memory until flush() writes them back in one transaction."""

    def __init__(
        self,
        core: CoreContext,
        settings: EngineSettings,
        running: RunningJobs,
        health: TelegramHealth,
        rng: random.Random,
    ) -> None:
        self.core = core
        self.settings = settings
        self._running = running
        self._health = health
        self._rng = rng
        self._pending: dict[int, Batch] = defaultdict(Batch)
        # Runs to fail at the next flush, with the reason (their target chat is unusable).
        self._failing: dict[int, str] = {}

    @property
    def has_results(self) -> bool:
        """True while some outcome waits to be written back."""
        return any(batch.rows for batch in self._pending.values())

    @property
    def has_failing(self) -> bool:
        """True while some run waits to be failed by the next flush."""
        return bool(self._failing)

    def record(
        self,
        execution_id: int,
        row: ClaimedRow,
        outcome: Outcome,
        *,
        chat_id: int | None = None,
        paid: bool = False,
    ) -> None:
        """Queue the ledger effect of one row's outcome for the next flush."""
        apply_outcome(
            self._pending[execution_id],
            row,
            outcome,
            self.core.clock(),
            self.settings.retry,
            self._rng,
            chat_id=chat_id,
            paid=paid,
        )

    def release(self, execution_id: int, rows: list[ClaimedRow], held: str | None = None) -> None:
        """Hand claimed, unsent rows back (marked if the limiter `held` them, for progress);
        the write-back skips them if the run has ended."""
        now = self.core.clock()
        batch = self._pending[execution_id]
        for row in rows:
            apply_outcome(batch, row, RELEASED, now, self.settings.retry, self._rng)
            if held:
                batch.rows[-1].update(error_code=LIMITER_UNAVAILABLE, error_detail=held[:255])

    def fail_run(self, execution_id: int, reason: str) -> None:
        """Stop this run alone (its target chat is unusable); the next flush fails it."""
        if execution_id not in self._failing:
            log.error("failing execution %s: %s", execution_id, reason)
            self._failing[execution_id] = reason
        self._running.halted[execution_id] = "campaign.failed"

    async def flush(self) -> None:
        """Write accumulated results to the ledger, then close finished or failed executions."""
        pending, self._pending = self._pending, defaultdict(Batch)
        pending = {k: v for k, v in pending.items() if v.rows}
        if pending:
            try:
                await self._write(pending)
            except Exception:
                for execution_id, batch in pending.items():
                    self._pending[execution_id].merge(batch)  # retried with the next flush
                raise
        while self._failing:
            execution_id, why = next(iter(self._failing.items()))
            self._running.halted[execution_id] = "campaign.failed"
            async with self.core.uow() as uow:
                await fail_execution(uow, execution_id, why)
            self._failing.pop(execution_id, None)  # kept for the next flush if that raised
        reason = self._health.verdict()
        if reason:
            await self._fail_running(reason)

    async def _write(self, pending: dict[int, Batch]) -> None:
        async with self.core.uow() as uow:
            await write_results(uow, pending, self.settings.worker_id, self.core.clock())

    async def _fail_running(self, reason: str) -> None:
        log.error("failing running executions: %s", reason)
        for execution_id in list(self._running.jobs):
            if execution_id in self._running.halted:
                continue
            self._running.halted[execution_id] = "campaign.failed"
            async with self.core.uow() as uow:
                await fail_execution(uow, execution_id, reason)
        self._health.reset()
