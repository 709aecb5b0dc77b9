"""The figures of the tenant API's GET /campaigns/:id/stats, from the ledger and interactions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.statistics_figures import TimeUnit
from core.uow import UnitOfWork
from storage.models import Campaign
from storage.repositories.stats import StatsRepository


@dataclass(frozen=True)
class HourFigures:
    """One hour of a campaign's timeline."""

    hour: datetime
    sent: int
    delivered: int
    clicked: int


@dataclass(frozen=True)
class TenantStats:
    """GET /campaigns/:id/stats; rates are fractions, None where the base is zero or unknown."""

    campaign: Campaign
    sent: int
    delivered: int
    clicked: int
    converted: int
    unsubscribed: int
    bounced: int
    timeline: list[HourFigures]

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        """part / whole to four places, None when whole is 0."""
        return round(part / whole, 4) if whole else None


async def stats(uow: UnitOfWork, campaign: Campaign) -> TenantStats:
    """Figures of a campaign's ledger and tracked interactions (test sends never count)."""
    repository = StatsRepository(uow.session)
    ledger = await repository.delivery_totals(campaign.id, None)
    tracked = await repository.interaction_totals(campaign.id, None)
    hours = {
        row["bucket"]: row for row in await repository.timeline(campaign.id, None, TimeUnit.HOUR)
    }
    clicks = await repository.interaction_timeline(campaign.id, None, TimeUnit.HOUR)
    timeline = [
        HourFigures(
            hour=datetime.fromisoformat(bucket),
            sent=hours.get(bucket, {}).get("sent", 0) + hours.get(bucket, {}).get("failed", 0),
            delivered=hours.get(bucket, {}).get("sent", 0),
            clicked=clicks.get(bucket, {}).get("clicked", 0),
        )
        for bucket in sorted(set(hours) | set(clicks))
    ]
    return TenantStats(
        campaign=campaign,
        sent=ledger["sent"] + ledger["failed"],
        delivered=ledger["sent"],
        clicked=tracked["clicked"],
        converted=tracked["converted"],
        unsubscribed=await repository.unsubscribed(campaign.id),
        bounced=ledger["bounced"],
        timeline=timeline,
    )
