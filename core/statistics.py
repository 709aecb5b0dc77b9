"""Progress and statistics, derived from the ledger (never from in-memory counters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.audience import segment_rules
from core.campaign_types.registry import policy_for
from core.errors import ValidationFailed
from core.ids import try_parse_id
from core.lifecycle import DELIVERY_REMAINING, DELIVERY_SETTLED, ExecutionStatus
from core.statistics_figures import (
    CampaignStatistics,
    GoalsProgress,
    Overview,
    Performance,
    SegmentFigures,
    Timeline,
    TimelinePoint,
    TimeUnit,
    VariationFigures,
    goal_progress,
)
from core.uow import UnitOfWork
from storage.audience import AudienceSpec
from storage.models import Campaign
from storage.repositories.executions import ExecutionRepository
from storage.repositories.segments import SegmentRepository
from storage.repositories.stats import StatsRepository

PERIODS = {
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "1y": timedelta(days=365),
    "all": None,
}
METRICS = ("overview", "performance", "timeline", "segments", "variations", "type", "goals")
RATE_WINDOW = timedelta(seconds=10)
ERROR_MESSAGES = {
    "USER_BLOCKED": "User has blocked the bot",
    "USER_DEACTIVATED": "User account is deactivated",
    "CHAT_NOT_FOUND": "Chat not found",
    "MESSAGE_INVALID": "Telegram refused the message (too long or bad markup)",
    "NETWORK_ERROR": "Telegram could not be reached after retries",
    "UNKNOWN": "Outcome unknown after a crash; not resent automatically",
    "CANCELLED": "Skipped because the campaign was cancelled",
    "EXECUTION_COMPLETED": "Skipped because the run had already ended",
    "EXECUTION_FAILED": "Skipped because the run failed before reaching this recipient",
}


def _pct(part: int | float, whole: int | float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


@dataclass(frozen=True)
class ErrorGroup:
    """Deliveries of a run that failed or were skipped for one reason."""

    code: str
    count: int
    message: str


@dataclass(frozen=True)
class Progress:
    """Where the newest execution of a campaign stands."""

    status: str
    execution_id: int | None
    total: int
    counts: dict[str, int]
    current_rate: float
    estimated_completion: datetime | None
    errors: list[ErrorGroup]
    pause_reason: str | None = None  # why the system paused the campaign (BUDGET_EXHAUSTED)

    @property
    def processed(self) -> int:
        """Rows that reached a final state."""
        return sum(self.counts.get(k, 0) for k in DELIVERY_SETTLED)

    @property
    def percentage(self) -> float:
        """Processed share of the total, 0..100."""
        return (
            _pct(self.processed, self.total)
            if self.total
            else (100.0 if self.execution_id else 0.0)
        )


async def campaign_progress(uow: UnitOfWork, campaign: Campaign, send_rate: float) -> Progress:
    """Live progress of the newest execution (test runs included only if nothing else exists)."""
    executions = ExecutionRepository(uow.session)
    execution = await executions.latest_for_campaign(campaign.id)
    if execution is None:
        return Progress("idle", None, 0, {}, 0.0, None, [], campaign.pause_reason)
    counts = await executions.status_counts(execution.id)
    now = uow.clock()
    recent = await StatsRepository(uow.session).sent_since([execution.id], now - RATE_WINDOW)
    rate = recent / RATE_WINDOW.total_seconds()
    remaining = sum(counts.get(k, 0) for k in DELIVERY_REMAINING)
    eta = None
    if remaining and execution.status == ExecutionStatus.RUNNING:
        eta = now + timedelta(seconds=remaining / (rate or send_rate))
    elif not remaining:
        eta = execution.finished_at
    errors = [
        ErrorGroup(code, count, ERROR_MESSAGES.get(code, detail or code))
        for code, count, detail in await executions.error_counts(execution.id)
    ]
    return Progress(
        execution.status,
        execution.id,
        execution.total,
        counts,
        rate,
        eta,
        errors,
        campaign.pause_reason,
    )


def parse_metrics(raw: str | None) -> tuple[str, ...]:
    """The metrics a caller asked for (`all` or a comma list)."""
    if not raw or raw == "all":
        return METRICS
    wanted = tuple(m.strip() for m in raw.split(",") if m.strip())
    unknown = [m for m in wanted if m not in METRICS]
    if unknown:
        raise ValidationFailed(
            f"Unknown metrics: {', '.join(unknown)}.",
            details=[{"field": "metrics", "message": f"choose from {', '.join(METRICS)} or all"}],
        )
    return wanted


def parse_period(raw: str | None) -> str:
    """A known period name or 400."""
    period = raw or "all"
    if period not in PERIODS:
        raise ValidationFailed(
            f"Unknown period '{period}'.",
            details=[{"field": "period", "message": f"one of {', '.join(PERIODS)}"}],
        )
    return period


async def campaign_statistics(
    uow: UnitOfWork, campaign: Campaign, period: str, metrics: tuple[str, ...]
) -> CampaignStatistics:
    """Overview, rates, timeline, per-segment and per-variation figures for a period."""
    delta = PERIODS[period]
    since = uow.clock() - delta if delta else None
    stats = StatsRepository(uow.session)
    totals = await stats.delivery_totals(campaign.id, since)
    actions = await stats.interaction_totals(campaign.id, since)
    delivered = totals["sent"]
    attempted = totals["sent"] + totals["failed"]
    overview = performance = timeline = segments = variations = None
    if "overview" in metrics:
        overview = Overview(
            messages_sent=delivered,
            delivered=delivered,
            failed=totals["failed"],
            blocked=totals["blocked"],
            unknown=totals["unknown"],
            clicked=actions["clicked"],
            converted=actions["converted"],
            revenue=actions["revenue"],
            cost=round(await stats.spent(campaign.id, since), 1),
        )
    if "performance" in metrics:
        performance = Performance(
            delivery_rate=_pct(delivered, attempted),
            click_rate=_pct(actions["clicked"], delivered),
            conversion_rate=_pct(actions["converted"], delivered),
        )
    if "timeline" in metrics:
        timeline = await _timeline(stats, campaign, since, period)
    if "segments" in metrics:
        segments = await _segment_stats(uow, campaign, since)
    if "variations" in metrics:
        variations = tuple(
            VariationFigures(
                variation=_variation_id(campaign, row["variation"]),
                sent=row["sent"],
                failed=row["failed"],
                clicked=row["clicked"],
                click_rate=_pct(row["clicked"], row["sent"]),
            )
            for row in await stats.per_variation(campaign.id, since)
        )
    type_figures = None
    if "type" in metrics:
        type_figures = await policy_for(campaign.type).figures(uow, campaign, since)
    goals = None
    if "goals" in metrics:
        goals = await _goals(stats, campaign, since, totals, actions)
    return CampaignStatistics(
        period, overview, performance, timeline, segments, variations, type_figures, goals
    )


async def _goals(
    stats: StatsRepository,
    campaign: Campaign,
    since: datetime | None,
    totals: dict[str, int],
    actions: dict[str, Any],
) -> GoalsProgress:
    """The goals against the whole campaign (whatever the period): a goal is the campaign's."""
    if since is not None:
        totals = await stats.delivery_totals(campaign.id, None)
        actions = await stats.interaction_totals(campaign.id, None)
    reached = totals["sent"]
    return goal_progress(
        campaign.goals, reached, _pct(actions["converted"], reached), actions["revenue"]
    )


async def _timeline(
    stats: StatsRepository, campaign: Campaign, since: datetime | None, period: str
) -> Timeline:
    unit = TimeUnit.HOUR if period in ("1h", "24h") else TimeUnit.DAY
    extra = await stats.interaction_timeline(campaign.id, since, unit)
    rows = {row["bucket"]: row for row in await stats.timeline(campaign.id, since, unit)}
    return Timeline(
        unit,
        tuple(
            TimelinePoint(
                start=_bucket_start(bucket),
                sent=rows.get(bucket, {}).get("sent", 0),
                delivered=rows.get(bucket, {}).get("sent", 0),
                failed=rows.get(bucket, {}).get("failed", 0),
                clicked=extra.get(bucket, {}).get("clicked", 0),
                conversions=extra.get(bucket, {}).get("conversions", 0),
            )
            for bucket in sorted(set(rows) | set(extra))
        ),
    )


def _bucket_start(label: str) -> datetime:
    # The database names a bucket "2024-06-01T10:00:00Z" (hour) or "2024-06-01" (day), in UTC.
    start = datetime.fromisoformat(label)
    return start if start.tzinfo else start.replace(tzinfo=UTC)


def _variation_id(campaign: Campaign, index: int) -> str:
    messages = campaign.messages or []
    variations = messages[0].get("variations", []) if messages else []
    if index == 0 or index > len(variations):
        return "original"
    return str(variations[index - 1].get("id") or f"variation-{index}")


async def _segment_stats(
    uow: UnitOfWork, campaign: Campaign, since: datetime | None
) -> tuple[SegmentFigures, ...]:
    refs = (campaign.target_audience or {}).get("segments") or []
    ids = [i for i in (try_parse_id("segment", r) for r in refs) if i is not None]
    segments = await SegmentRepository(uow.session).get_many(campaign.tenant_id, ids)
    stats = StatsRepository(uow.session)
    out = []
    for segment in segments:
        spec = AudienceSpec(
            tenant_id=campaign.tenant_id,
            segments=((segment.id, segment.kind, segment_rules(segment, uow)),),
            statuses=(),
        )
        figures = await stats.sent_within(campaign.id, spec, since)
        out.append(
            SegmentFigures(
                segment_id=segment.id,
                name=segment.name,
                sent=figures["sent"],
                conversion_rate=_pct(figures["converted"], figures["sent"]),
            )
        )
    return tuple(out)
