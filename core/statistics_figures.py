"""The typed figures of a campaign's statistics (the API shapes them, the bot draws them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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
class CampaignStatistics:
    """The figures of a period; a metric that was not asked for is None."""

    period: str
    overview: Overview | None
    performance: Performance | None
    timeline: Timeline | None
    segments: tuple[SegmentFigures, ...] | None
    variations: tuple[VariationFigures, ...] | None
