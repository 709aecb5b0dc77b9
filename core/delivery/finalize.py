"""Closing executions: completed when every row settled, failed on a systemic error."""

from __future__ import annotations

from core.campaign_actions import apply
from core.context import Actor
from core.events import DomainEvent
from core.lifecycle import EXECUTION_OPEN, Action, ExecutionStatus, Status, can
from core.uow import UnitOfWork
from storage.models import Execution
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.deliveries import DeliveryRepository
from storage.repositories.executions import ExecutionRepository
from storage.repositories.locks import lock_execution

SYSTEM_LABEL = "system:delivery"
E = ExecutionStatus
# Why rows of an ended execution are skipped instead of going back to the queue (the rows'
# error code). Open executions (EXECUTION_OPEN) are still able to send and skip nothing.
CLOSING_REASONS: dict[str, str] = {
    E.COMPLETED: "EXECUTION_COMPLETED",
    E.CANCELLED: "CANCELLED",
    E.FAILED: "EXECUTION_FAILED",
}


def closing_reason(status: str) -> str | None:
    """Why rows of an execution in `status` are skipped instead of queued (None: it is open)."""
    if status in EXECUTION_OPEN:
        return None
    return CLOSING_REASONS[status]


def _finished(uow: UnitOfWork, execution: Execution, reason: str | None = None) -> None:
    """Announce (after commit) that an execution ended: notifications and webhooks listen."""
    uow.emit(
        DomainEvent(
            name="execution.finished",
            tenant_id=execution.tenant_id,
            campaign_id=execution.campaign_id,
            actor=execution.created_by or SYSTEM_LABEL,
            execution_id=execution.id,
            data={
                "status": execution.status,
                "trigger": execution.trigger,
                "scheduleId": execution.schedule_id,
                "testMode": execution.test_mode,
                "total": execution.total,
                "sent": execution.sent_count,
                "failed": execution.failed_count,
                "unknown": execution.unknown_count,
                "reason": reason,
            },
        )
    )


def settled(execution: Execution) -> int:
    """Rows of the execution that reached a final state."""
    return (
        execution.sent_count
        + execution.failed_count
        + execution.unknown_count
        + execution.skipped_count
    )


async def finalize_if_done(uow: UnitOfWork, execution_id: int) -> bool:
    """Complete the execution (and its campaign) once nothing is left to send."""
    return await complete_if_done(uow, await lock_execution(uow.session, execution_id))


async def complete_if_done(uow: UnitOfWork, execution: Execution | None) -> bool:
    """Like finalize_if_done, for an execution this transaction has already locked."""
    if execution is None or execution.status != E.RUNNING or settled(execution) < execution.total:
        return False
    execution.status = E.COMPLETED
    execution.finished_at = uow.clock()
    _finished(uow, execution)
    if execution.test_mode:
        return True
    campaign = await CampaignRepository(uow.session).by_id(execution.campaign_id)  # locked with it
    if campaign is None:
        return True
    campaign.executions_completed += 1
    others = await ExecutionRepository(uow.session).open_for_campaign(campaign.id)
    # A test send still going never keeps the campaign itself from completing.
    if campaign.status == Status.ACTIVE and not [
        e for e in others if e.id != execution.id and not e.test_mode
    ]:
        await apply(
            uow,
            campaign,
            Actor(campaign.tenant_id, SYSTEM_LABEL),
            Action.COMPLETE,
            execution_id=execution.id,
            details={
                "sent": execution.sent_count,
                "failed": execution.failed_count,
                "unknown": execution.unknown_count,
                "total": execution.total,
            },
        )
    return True


async def fail_execution(uow: UnitOfWork, execution_id: int, reason: str) -> bool:
    """Mark an execution failed with its reason; its campaign fails with it.

    Rows it never got to are skipped (EXECUTION_FAILED): a retry is a new execution, so
    nothing would ever send them, and a failed run must not look unfinished forever.
    """
    execution = await lock_execution(uow.session, execution_id)
    if execution is None or execution.status not in (E.RUNNING, E.PAUSED):
        return False
    execution.status = E.FAILED
    execution.failure_reason = reason
    execution.finished_at = uow.clock()
    skipped = await DeliveryRepository(uow.session).skip_pending(
        [execution.id], CLOSING_REASONS[E.FAILED]
    )
    execution.skipped_count += skipped[execution.id]
    _finished(uow, execution, reason)
    if execution.test_mode:
        return True
    campaign = await CampaignRepository(uow.session).by_id(execution.campaign_id)  # locked with it
    if campaign is None:
        return True
    campaign.executions_failed += 1
    if can(campaign.status, Action.FAIL):
        await apply(
            uow,
            campaign,
            Actor(campaign.tenant_id, SYSTEM_LABEL),
            Action.FAIL,
            execution_id=execution.id,
            details={"reason": reason},
        )
    return True
