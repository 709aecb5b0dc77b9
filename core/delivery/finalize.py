"""Closing executions: completed when every row settled, failed on a systemic error."""

from __future__ import annotations

from core.campaign_actions import apply
from core.context import Actor
from core.events import DomainEvent
from core.lifecycle import Action, can
from core.uow import UnitOfWork
from storage.models import Campaign, Execution
from storage.repositories.executions import ExecutionRepository

SYSTEM_LABEL = "system:delivery"


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


async def _campaign(uow: UnitOfWork, execution: Execution) -> Campaign | None:
    return await uow.session.get(Campaign, execution.campaign_id, with_for_update=True)


async def finalize_if_done(uow: UnitOfWork, execution_id: int) -> bool:
    """Complete the execution (and its campaign) once nothing is left to send."""
    execution = await uow.session.get(Execution, execution_id, with_for_update=True)
    if execution is None or execution.status != "running" or settled(execution) < execution.total:
        return False
    execution.status = "completed"
    execution.finished_at = uow.clock()
    _finished(uow, execution)
    if execution.test_mode:
        return True
    campaign = await _campaign(uow, execution)
    if campaign is None:
        return True
    campaign.executions_completed += 1
    others = await ExecutionRepository(uow.session).open_for_campaign(campaign.id)
    if campaign.status == "active" and not [e for e in others if e.id != execution.id]:
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
    """Mark an execution failed with its reason; its campaign fails with it."""
    execution = await uow.session.get(Execution, execution_id, with_for_update=True)
    if execution is None or execution.status not in ("running", "paused"):
        return False
    execution.status = "failed"
    execution.failure_reason = reason
    execution.finished_at = uow.clock()
    _finished(uow, execution, reason)
    if execution.test_mode:
        return True
    campaign = await _campaign(uow, execution)
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
