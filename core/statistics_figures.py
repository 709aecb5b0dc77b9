"""The typed figures of a campaign's statistics (the API shapes them, the bot draws them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel


class TimeUnit(StrEnum):
    """How finely a timeline is bucketed."""

    HOUR = "hour"
    DAY = "day"


@dataclass(frozen=True)
class Overview:
    """Counts of a period (bots get no read receipts, so there is no read count)."""

    messages_sent: int
    delivered: int
    failed: int
    blocked: int
    unknown: int
    clicked: int  # distinct recipients who clicked
    converted: int
    revenue: float
    cost: float = 0.0  # Stars spent on paid broadcasts


@dataclass(frozen=True)
class Performance:
    """Rates of a period, in percent (no read rate, see Overview)."""

    delivery_rate: float
    click_rate: float
    conversion_rate: float


@dataclass(frozen=True)
class TimelinePoint:
    """What happened in one hour or day, by when it happened."""

    start: datetime
    sent: int
    delivered: int
    failed: int
    clicked: int  # clicks, repeated presses included
    conversions: int


@dataclass(frozen=True)
class Timeline:
    """Buckets of one unit, oldest first; buckets where nothing happened are left out."""

    unit: TimeUnit
    points: tuple[TimelinePoint, ...]


@dataclass(frozen=True)
class SegmentFigures:
    """Sends and conversions among the members of one targeted segment."""

    segment_id: int
    name: str
    sent: int
    conversion_rate: float


@dataclass(frozen=True)
class VariationFigures:
    """Sends and clicks of one A/B variation (`original` for the message itself)."""

    variation: str
    sent: int
    failed: int
    clicked: int
    click_rate: float


@dataclass(frozen=True)
class GoalProgress:
    """One goal: its target, what the campaign reached, and that as a percent of the target."""

    target: float
    actual: float
    percent: float


@dataclass(frozen=True)
class GoalsProgress:
    """The campaign's goals that are set (None: not set), each against its actual."""

    target_audience: GoalProgress | None = None  # recipients the message reached
    conversion_rate: GoalProgress | None = None  # converted / reached, in percent
    revenue: GoalProgress | None = None  # the sum of conversion values

    def __bool__(self) -> bool:
        return any((self.target_audience, self.conversion_rate, self.revenue))


def _progress(target: float | None, actual: float) -> GoalProgress | None:
    if target is None:
        return None
    # A target of 0 is reached by anything.
    percent = round(100.0 * actual / target, 1) if target else 100.0
    return GoalProgress(float(target), float(actual), percent)


def goal_progress(
    goals: dict[str, object] | None, reached: int, conversion_rate: float, revenue: float
) -> GoalsProgress:
    """Compare the stored goals (camelCase keys) with the actuals."""
    goals = goals or {}

    def target(key: str) -> float | None:
        value = goals.get(key)
        return float(value) if isinstance(value, int | float) else None

    return GoalsProgress(
        target_audience=_progress(target("targetAudience"), reached),
        conversion_rate=_progress(target("conversionRate"), conversion_rate),
        revenue=_progress(target("revenue"), round(revenue, 2)),
    )


@dataclass(frozen=True)
class CampaignStatistics:
    """The figures of a period; a metric that was not asked for is None."""

    period: str
    overview: Overview | None
    performance: Performance | None
    timeline: Timeline | None
    segments: tuple[SegmentFigures, ...] | None
    variations: tuple[VariationFigures, ...] | None
    # The campaign type's own figures (its policy's `figures`), camelCase when dumped by alias.
    type_figures: BaseModel | None = None
    goals: GoalsProgress | None = None
