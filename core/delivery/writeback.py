"""The engine's ledger transactions: writing results back and recovering dead claims.

Both lock the campaign, then the execution, then touch rows (the one lock order), and move
counters by what the statements actually changed, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from core.delivery.finalize import closing_reason, finalize_if_done
from core.delivery.results import Batch, close_out
from core.event_names import SUBSCRIBER_BLOCKED
from core.events import DomainEvent
from core.uow import UnitOfWork
from storage.repositories.deliveries import DeliveryRepository, Settled
from storage.repositories.locks import lock_execution


async def write_results(
    uow: UnitOfWork, pending: dict[int, Batch], worker_id: str, now: datetime
) -> None:
    """Store each execution's results, bump its counters, complete it when all settled."""
    ledger = DeliveryRepository(uow.session)
    for execution_id in sorted(pending):  # one order of locks across writers
        batch = pending[execution_id]
        # A cancel committing meanwhile either sees these rows pending (and skips them) or
        # has committed before this lock, and then what would be queued again is skipped.
        execution = await lock_execution(uow.session, execution_id)
        if execution is None:
            continue  # deleted with its campaign
        rows = batch.rows
        reason = closing_reason(execution.status)
        if reason is not None:
            rows = close_out(rows, reason, now)
        written = await ledger.write_back(rows, worker_id)
        # Test sends never count towards the campaign's own figures.
        campaign_id = None if execution.test_mode else execution.campaign_id
        if settled := Settled.of(written.statuses):
            await ledger.add_to_counters(execution_id, campaign_id, settled, written.cost)
        for status, ids in batch.blocked.items():
            for tenant_id, subscriber_id in await ledger.mark_subscribers(ids, status, now):
                uow.emit(
                    DomainEvent(
                        name=SUBSCRIBER_BLOCKED,
                        tenant_id=tenant_id,
                        campaign_id=execution.campaign_id,
                        actor=f"worker:{worker_id}",
                        execution_id=execution_id,
                        subscriber_id=subscriber_id,
                        occurred_at=now,
                        data={"status": status},
                    )
                )
        for subscriber_id, chat_id in batch.moved_chats:
            await ledger.move_chat(subscriber_id, chat_id)
        await finalize_if_done(uow, execution_id)  # decided by the counters just written


async def recover_dead_claims(uow: UnitOfWork, live: list[str], now: datetime) -> int:
    """Rows left `sending` by workers not in `live` become `unknown`; how many did."""
    ledger = DeliveryRepository(uow.session)
    recovered = 0
    for execution_id in await ledger.executions_with_orphans(live):
        execution = await lock_execution(uow.session, execution_id)
        count = await ledger.recover_orphans(execution_id, live, now)
        if execution is None or not count:
            continue
        recovered += count
        campaign_id = None if execution.test_mode else execution.campaign_id
        await ledger.add_to_counters(execution_id, campaign_id, Settled(unknown=count))
        await finalize_if_done(uow, execution_id)
    return recovered
