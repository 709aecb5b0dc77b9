"""Read models of scheduled campaigns: typed views, figures from executions (api/ shapes JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.context import Actor
from core.errors import ValidationFailed
from core.ids import format_id
from core.lifecycle import allowed_schedule_actions
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


@dataclass(frozen=True)
class ScheduleFigures:
    """What a schedule's runs have done so far."""

    total_runs: int
    total_messages_sent: int
    avg_delivery_rate: float


@dataclass(frozen=True)
class ScheduleView:
    """A schedule with its figures and the actions its status allows."""

    schedule: Schedule
    statistics: ScheduleFigures
    allowed_actions: list[str]


def view(schedule: Schedule, totals: dict[str, int] | None) -> ScheduleView:
    """A schedule with the figures of its runs (`totals`: runs, sent, failed; None: no runs)."""
    totals = totals or {"runs": 0, "sent": 0, "failed": 0}
    figures = ScheduleFigures(
        total_runs=totals["runs"],
        total_messages_sent=totals["sent"],
        avg_delivery_rate=_rate(totals["sent"], totals["failed"]),
    )
    return ScheduleView(schedule, figures, allowed_schedule_actions(schedule.status))


async def view_many(uow: UnitOfWork, schedules: list[Schedule]) -> list[ScheduleView]:
    """Several schedules with their figures (one aggregate query)."""
    totals = await ScheduleRepository(uow.session).totals([s.id for s in schedules])
    return [view(s, totals.get(s.id)) for s in schedules]


@dataclass(frozen=True)
class RunRecord:
    """A planned run that was no test: what its execution did."""

    run_at: datetime
    status: str
    messages_sent: int
    errors: int
    duration: float | None
    execution_id: str | None
    detail: str | None


@dataclass(frozen=True)
class JobRecord:
    """A planned run (tests included) as a job."""

    id: str
    status: str
    scheduled_for: datetime
    completed_at: datetime | None
    test: bool


@dataclass(frozen=True)
class ScheduleHistory:
    """Executions and jobs of a schedule, newest first."""

    schedule: Schedule
    executions: list[RunRecord]
    jobs: list[JobRecord]


async def history(uow: UnitOfWork, schedule: Schedule, limit: int) -> ScheduleHistory:
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
                RunRecord(
                    run_at=run.scheduled_for,
                    status=status,
                    messages_sent=execution.sent_count if execution else 0,
                    errors=execution.failed_count if execution else 0,
                    duration=duration,
                    execution_id=format_id("execution", execution.id) if execution else None,
                    detail=run.detail,
                )
            )
        jobs.append(
            JobRecord(
                id=format_id("schedule_run", run.id),
                status="completed" if status == "success" else status,
                scheduled_for=run.scheduled_for,
                completed_at=execution.finished_at if execution else None,
                test=run.test,
            )
        )
    return ScheduleHistory(schedule, executions, jobs)


@dataclass(frozen=True)
class PeriodStatistics:
    """Aggregates over every schedule of a tenant for a period."""

    period: str
    total_campaigns: int
    active_campaigns: int
    total_runs: int
    total_messages_sent: int
    total_delivered: int
    avg_delivery_rate: float


async def statistics(uow: UnitOfWork, actor: Actor, period: str) -> PeriodStatistics:
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
    return PeriodStatistics(
        period=period,
        total_campaigns=sum(by_status.values()),
        active_campaigns=by_status.get("active", 0) + by_status.get("scheduled", 0),
        total_runs=figures["runs"],
        total_messages_sent=figures["sent"],
        total_delivered=figures["sent"],
        avg_delivery_rate=_rate(figures["sent"], figures["failed"]),
    )
