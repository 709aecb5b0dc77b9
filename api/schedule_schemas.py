"""Scheduled campaign response shapes (scheduled-campaigns-api.md), from core's typed views."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, PlainSerializer

from api.schemas import Out, UtcTime
from api.wire import wire
from core.ids import format_id
from core.scheduling.views import PeriodStatistics, ScheduleHistory, ScheduleView

# Stored JSON parts, shown as they are (any time inside in the API's format).
Stored = Annotated[dict[str, Any], PlainSerializer(wire, return_type=dict[str, Any])]


class ScheduleExecution(Out):
    """When the schedule fires."""

    next_run_at: UtcTime | None
    last_run_at: UtcTime | None
    run_count: int


class ScheduleStatistics(Out):
    """What the schedule's runs have done so far."""

    total_runs: int
    total_messages_sent: int
    avg_delivery_rate: float


class ScheduledCampaignOut(Out):
    """A scheduled campaign (`_id` and `id` carry the same id)."""

    id_: str = Field(alias="_id")
    id: str
    campaign_id: str
    campaign_name: str
    type: str
    schedule: Stored
    target_audience: Stored
    message_config: Stored | None
    delivery_settings: Stored | None
    notifications: Stored | None
    status: str
    allowed_actions: list[str]
    execution: ScheduleExecution
    statistics: ScheduleStatistics
    paused_at: UtcTime | None
    created_at: UtcTime
    updated_at: UtcTime


def schedule_out(view: ScheduleView) -> ScheduledCampaignOut:
    """Render a schedule with its figures."""
    schedule, figures = view.schedule, view.statistics
    public_id = format_id("schedule", schedule.id)
    return ScheduledCampaignOut(
        _id=public_id,
        id=public_id,
        campaign_id=format_id("campaign", schedule.campaign_id),
        campaign_name=schedule.name,
        type=schedule.type,
        schedule=schedule.schedule,
        target_audience=schedule.target_audience or {"type": "campaign"},
        message_config=schedule.message_config,
        delivery_settings=schedule.delivery_settings,
        notifications=schedule.notifications,
        status=schedule.status,
        allowed_actions=view.allowed_actions,
        execution=ScheduleExecution(
            next_run_at=schedule.next_run_at,
            last_run_at=schedule.last_run_at,
            run_count=schedule.run_count,
        ),
        statistics=ScheduleStatistics(
            total_runs=figures.total_runs,
            total_messages_sent=figures.total_messages_sent,
            avg_delivery_rate=figures.avg_delivery_rate,
        ),
        paused_at=schedule.paused_at,
        created_at=schedule.created_at,
        updated_at=schedule.updated_at,
    )


class HistoryCampaign(Out):
    """The schedule a history belongs to."""

    id: str
    name: str
    type: str
    status: str


class RunOut(Out):
    """A run that was no test."""

    run_at: UtcTime
    status: str
    messages_sent: int
    errors: int
    duration: float | None
    execution_id: str | None
    detail: str | None


class JobOut(Out):
    """A planned run (tests included)."""

    id_: str = Field(alias="_id")
    status: str
    scheduled_for: UtcTime
    completed_at: UtcTime | None
    test: bool


class ScheduleHistoryOut(Out):
    """data of GET /scheduled-campaigns/:id/history."""

    campaign: HistoryCampaign
    executions: list[RunOut]
    jobs: list[JobOut]


def history_out(history: ScheduleHistory) -> ScheduleHistoryOut:
    """Render a schedule's history."""
    schedule = history.schedule
    return ScheduleHistoryOut(
        campaign=HistoryCampaign(
            id=format_id("schedule", schedule.id),
            name=schedule.name,
            type=schedule.type,
            status=schedule.status,
        ),
        executions=[RunOut.model_validate(run, from_attributes=True) for run in history.executions],
        jobs=[
            JobOut(
                _id=job.id,
                status=job.status,
                scheduled_for=job.scheduled_for,
                completed_at=job.completed_at,
                test=job.test,
            )
            for job in history.jobs
        ],
    )


class PeriodStatisticsOut(Out):
    """data of GET /scheduled-campaigns/statistics/:period."""

    period: str
    total_campaigns: int
    active_campaigns: int
    total_runs: int
    total_messages_sent: int
    total_delivered: int
    avg_delivery_rate: float


def statistics_out(figures: PeriodStatistics) -> PeriodStatisticsOut:
    """Render the period's aggregates."""
    return PeriodStatisticsOut.model_validate(figures, from_attributes=True)
