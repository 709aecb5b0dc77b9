"""Read models of scheduled campaigns: the spec's shapes, figures from executions."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.context import Actor
from core.errors import ValidationFailed
from core.ids import format_id
from core.scheduling.lifecycle import allowed
from core.uow import UnitOfWork
from storage.models_scheduling import Schedule
from storage.repositories.schedules import ScheduleRepository

PERIODS = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "1y": timedelta(days=365),
}
RUN_STATUS = {"completed": "success", "failed": "failed", "cancelled": "cancelled"}


def _rate(sent: int, failed: int) -> float:
    return round(100.0 * sent / (sent + failed), 1) if sent + failed else 0.0


def render(schedule: Schedule, totals: dict[str, int] | None) -> dict[str, Any]:
    """A schedule in the shape of scheduled-campaigns-api.md."""
    totals = totals or {"runs": 0, "sent": 0, "failed": 0}
    public_id = format_id("schedule", schedule.id)
    return {
        "_id": public_id,
        "id": public_id,
        "campaignId": format_id("campaign", schedule.campaign_id),
        "campaignName": schedule.name,
        "type": schedule.type,
        "schedule": schedule.schedule,
        "targetAudience": schedule.target_audience or {"type": "campaign"},
        "messageConfig": schedule.message_config,
        "deliverySettings": schedule.delivery_settings,
        "notifications": schedule.notifications,
        "status": schedule.status,
        "allowedActions": allowed(schedule.status),
        "execution": {
            "nextRunAt": schedule.next_run_at,
            "lastRunAt": schedule.last_run_at,
            "runCount": schedule.run_count,
        },
        "statistics": {
            "totalRuns": totals["runs"],
            "totalMessagesSent": totals["sent"],
            "avgDeliveryRate": _rate(totals["sent"], totals["failed"]),
        },
        "pausedAt": schedule.paused_at,
        "createdAt": schedule.created_at,
        "updatedAt": schedule.updated_at,
    }


async def render_many(uow: UnitOfWork, schedules: list[Schedule]) -> list[dict[str, Any]]:
    """Several schedules with their figures (one aggregate query)."""
    totals = await ScheduleRepository(uow.session).totals([s.id for s in schedules])
    return [render(s, totals.get(s.id)) for s in schedules]


async def history(uow: UnitOfWork, schedule: Schedule, limit: int) -> dict[str, Any]:
    """Executions and jobs of a schedule, newest first."""
    runs = await ScheduleRepository(uow.session).runs(schedule.id, limit)
    executions, jobs = [], []
    for run, execution in runs:
        status = run.status if execution is None else RUN_STATUS.get(execution.status, "running")
        duration = None
        if execution and execution.finished_at and execution.started_at:
            duration = round((execution.finished_at - execution.started_at).total_seconds(), 3)
        if not run.test:
            executions.append(
                {
                    "runAt": run.scheduled_for,
                    "status": status,
                    "messagesSent": execution.sent_count if execution else 0,
                    "errors": execution.failed_count if execution else 0,
                    "duration": duration,
                    "executionId": format_id("execution", execution.id) if execution else None,
                    "detail": run.detail,
                }
            )
        jobs.append(
            {
                "_id": format_id("schedule_run", run.id),
                "status": "completed" if status == "success" else status,
                "scheduledFor": run.scheduled_for,
                "completedAt": execution.finished_at if execution else None,
                "test": run.test,
            }
        )
    return {
        "campaign": {
            "id": format_id("schedule", schedule.id),
            "name": schedule.name,
            "type": schedule.type,
            "status": schedule.status,
        },
        "executions": executions,
        "jobs": jobs,
    }


async def statistics(uow: UnitOfWork, actor: Actor, period: str) -> dict[str, Any]:
    """Aggregates over every schedule of the tenant for a period (case-insensitive: 7D = 7d)."""
    period = period.lower()
    if period not in PERIODS:
        raise ValidationFailed(
            f"Unknown period '{period}'.",
            details=[{"field": "period", "message": f"one of {', '.join(PERIODS)}"}],
        )
    repo = ScheduleRepository(uow.session)
    since: datetime = uow.clock() - PERIODS[period]
    figures = await repo.period_totals(actor.tenant_id, since)
    by_status = await repo.counts_by_status(actor.tenant_id)
    return {
        "period": period,
        "totalCampaigns": sum(by_status.values()),
        "activeCampaigns": by_status.get("active", 0) + by_status.get("scheduled", 0),
        "totalRuns": figures["runs"],
        "totalMessagesSent": figures["sent"],
        "totalDelivered": figures["sent"],
        "avgDeliveryRate": _rate(figures["sent"], figures["failed"]),
    }
