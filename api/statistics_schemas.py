"""Campaign statistics response shapes (campaigns-api.md), from core's typed figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from api.schemas import Out, UtcTime, omitted_when_none
from core.ids import format_id
from core.statistics_figures import CampaignStatistics, Timeline, TimeUnit


class OverviewOut(Out):
    """Counts of the period; `read` is always null (Telegram tells bots nothing about reads)."""

    messages_sent: int
    delivered: int
    failed: int
    blocked: int
    unknown: int
    read: None = None
    clicked: int
    converted: int
    revenue: float
    cost: float = Field(description="Stars spent on paid broadcasts (0.1 per paid message).")


class PerformanceOut(Out):
    """Rates of the period in percent; `readRate` is always null."""

    delivery_rate: float
    read_rate: None = None
    click_rate: float
    conversion_rate: float


class HourPoint(Out):
    """One hour of the timeline (periods 1h and 24h)."""

    hour: UtcTime
    sent: int
    delivered: int
    failed: int
    clicked: int
    conversions: int


class DayPoint(Out):
    """One day of the timeline (longer periods)."""

    date: dt.date
    sent: int
    delivered: int
    failed: int
    clicked: int
    conversions: int


class SegmentPerformance(Out):
    """Sends and conversions among a segment's members."""

    sent: int
    conversion_rate: float


class SegmentStatisticsOut(Out):
    """One segment the campaign targets."""

    segment_id: str
    name: str
    performance: SegmentPerformance


class VariationOut(Out):
    """One A/B variation (`original` for the message itself)."""

    variation: str
    sent: int
    failed: int
    clicked: int
    click_rate: float


class GoalProgressOut(Out):
    """One goal: its target, the actual, and the actual as a percent of the target."""

    target: float
    actual: float
    percent: float


class GoalsProgressOut(Out):
    """Only the goals the campaign sets: targetAudience (recipients reached), conversionRate
    (percent of them who converted), revenue (sum of conversion values)."""

    target_audience: GoalProgressOut | None = omitted_when_none()
    conversion_rate: GoalProgressOut | None = omitted_when_none()
    revenue: GoalProgressOut | None = omitted_when_none()


class GoalsOut(Out):
    """The campaign's goals against the whole campaign's actuals (whatever the period)."""

    progress: GoalsProgressOut


class StatisticsOut(Out):
    """data of GET /statistics: the sections asked for by `metrics`, the others left out."""

    period: str
    overview: OverviewOut | None = omitted_when_none()
    performance: PerformanceOut | None = omitted_when_none()
    timeline: list[HourPoint] | list[DayPoint] | None = omitted_when_none()
    segments: list[SegmentStatisticsOut] | None = omitted_when_none()
    variations: list[VariationOut] | None = omitted_when_none()
    type_statistics: dict[str, Any] | None = omitted_when_none(
        description="The campaign type's own figures: invitation (invited, joined, joinRate), "
        "data_collection (per question), engagement (participants, correct answers)."
    )
    goals: GoalsOut | None = omitted_when_none()


def _timeline_out(timeline: Timeline) -> list[HourPoint] | list[DayPoint]:
    if timeline.unit == TimeUnit.HOUR:
        return [
            HourPoint(hour=p.start, sent=p.sent, delivered=p.delivered, failed=p.failed,
                      clicked=p.clicked, conversions=p.conversions)
            for p in timeline.points
        ]  # fmt: skip
    return [
        DayPoint(date=p.start.date(), sent=p.sent, delivered=p.delivered, failed=p.failed,
                 clicked=p.clicked, conversions=p.conversions)
        for p in timeline.points
    ]  # fmt: skip


def statistics_out(figures: CampaignStatistics) -> StatisticsOut:
    """Render a campaign's figures."""
    overview, performance = figures.overview, figures.performance
    return StatisticsOut(
        period=figures.period,
        overview=None
        if overview is None
        else OverviewOut.model_validate(overview, from_attributes=True),
        performance=None
        if performance is None
        else PerformanceOut.model_validate(performance, from_attributes=True),
        timeline=None if figures.timeline is None else _timeline_out(figures.timeline),
        segments=None
        if figures.segments is None
        else [
            SegmentStatisticsOut(
                segment_id=format_id("segment", s.segment_id),
                name=s.name,
                performance=SegmentPerformance(sent=s.sent, conversion_rate=s.conversion_rate),
            )
            for s in figures.segments
        ],
        variations=None
        if figures.variations is None
        else [VariationOut.model_validate(v, from_attributes=True) for v in figures.variations],
        type_statistics=None
        if figures.type_figures is None
        else figures.type_figures.model_dump(mode="json", by_alias=True),
        goals=None
        if figures.goals is None
        else GoalsOut(
            progress=GoalsProgressOut.model_validate(figures.goals, from_attributes=True)
        ),
    )
