"""Which send workers are alive: each beats in the ledger; rows a silent one held are settled."""

from __future__ import annotations

from datetime import timedelta

from core.context import CoreContext
from core.delivery.jobs import EngineSettings
from core.delivery.writeback import recover_dead_claims
from storage.repositories.workers import WorkerRepository


async def recover_orphans(core: CoreContext, settings: EngineSettings) -> int:
    """Beat for this worker, then mark `unknown` the rows that dead workers left `sending`."""
    now = core.clock()
    async with core.uow() as uow:
        workers = WorkerRepository(uow.session)
        await workers.beat(settings.worker_id, now)
        if settings.single_process:
            await workers.forget_others(settings.worker_id)
            live = [settings.worker_id]
        else:
            silent_since = now - timedelta(seconds=settings.worker_timeout)
            live = await workers.live(silent_since)
        recovered = await recover_dead_claims(uow, live, now)
        if not settings.single_process:
            # Their rows are settled above; a worker that was only slow beats back in.
            await workers.forget_silent(silent_since)
    return recovered
