"""Aggregates over the ledger and interactions for progress and statistics."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DELIVERY_REMAINING, DeliveryStatus
from core.models import InteractionType
from storage.audience import AudienceSpec, audience_where
from storage.models import Delivery, Execution, Interaction, Subscriber

BLOCKED_CODES = ("USER_BLOCKED", "USER_DEACTIVATED")
# Failures that no retry would fix: the recipient is gone (a "bounce").
PERMANENT_CODES = (*BLOCKED_CODES, "CHAT_NOT_FOUND")
D = DeliveryStatus
REMAINING = tuple(sorted(DELIVERY_REMAINING))


def _bucket(session: AsyncSession, column: Any, unit: str) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        pattern = 'YYYY-MM-DD"T"HH24:00:00"Z"' if unit == "hour" else "YYYY-MM-DD"
        return func.to_char(func.timezone("UTC", column), pattern)
    pattern = "%Y-%m-%dT%H:00:00Z" if unit == "hour" else "%Y-%m-%d"
    return func.strftime(pattern, column)


def _sum_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class StatsRepository:
    """Read-only aggregate queries."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _ledger(self, campaign_id: int, since: datetime | None) -> list[ColumnElement[bool]]:
        where = [
            Delivery.execution_id == Execution.id,
            Execution.campaign_id == campaign_id,
            Execution.test_mode.is_(False),
        ]
        if since is not None:
            where.append(Delivery.processed_at >= since)
        return where

    async def delivery_totals(self, campaign_id: int, since: datetime | None) -> dict[str, int]:
        """sent / failed / blocked / bounced / unknown / skipped / pending counts of a
        campaign's ledger (bounced: failed for good, blocked among them)."""
        row = (
            await self.session.execute(
                select(
                    _sum_if(Delivery.status == D.SENT),
                    _sum_if(Delivery.status == D.FAILED),
                    _sum_if(Delivery.error_code.in_(BLOCKED_CODES)),
                    _sum_if(
                        and_(Delivery.status == D.FAILED, Delivery.error_code.in_(PERMANENT_CODES))
                    ),
                    _sum_if(Delivery.status == D.UNKNOWN),
                    _sum_if(Delivery.status == D.SKIPPED),
                    _sum_if(Delivery.status.in_(REMAINING)),
                ).where(*self._ledger(campaign_id, since))
            )
        ).one()
        keys = ("sent", "failed", "blocked", "bounced", "unknown", "skipped", "pending")
        return dict(zip(keys, (int(v) for v in row), strict=True))

    async def interaction_totals(self, campaign_id: int, since: datetime | None) -> dict[str, Any]:
        """Distinct clickers, conversions and revenue of a campaign."""
        where = [Interaction.campaign_id == campaign_id]
        if since is not None:
            where.append(Interaction.occurred_at >= since)
        row = (
            await self.session.execute(
                select(
                    func.count(
                        func.distinct(
                            case(
                                (
                                    Interaction.type == InteractionType.CLICKED,
                                    Interaction.subscriber_id,
                                )
                            )
                        )
                    ),
                    # Recipients who converted: one may convert (and pay) more than once.
                    func.count(
                        func.distinct(
                            case(
                                (
                                    Interaction.type == InteractionType.CONVERTED,
                                    Interaction.subscriber_id,
                                )
                            )
                        )
                    ),
                    func.coalesce(
                        func.sum(
                            case(
                                (Interaction.type == InteractionType.CONVERTED, Interaction.value),
                                else_=0.0,
                            )
                        ),
                        0.0,
                    ),
                ).where(*where)
            )
        ).one()
        return {"clicked": int(row[0]), "converted": int(row[1]), "revenue": float(row[2])}

    async def spent(self, campaign_id: int, since: datetime | None) -> float:
        """Stars the campaign's paid sends cost (by when they were sent)."""
        total = await self.session.scalar(
            select(func.coalesce(func.sum(Delivery.cost), 0.0)).where(
                *self._ledger(campaign_id, since)
            )
        )
        return float(total or 0.0)

    async def unsubscribed(self, campaign_id: int) -> int:
        """Recipients whose opt-out was put down to this campaign."""
        count = await self.session.scalar(
            select(func.count(func.distinct(Interaction.subscriber_id))).where(
                Interaction.campaign_id == campaign_id,
                Interaction.type == InteractionType.UNSUBSCRIBED,
            )
        )
        return int(count or 0)

    async def timeline(
        self, campaign_id: int, since: datetime | None, unit: str
    ) -> list[dict[str, Any]]:
        """Sent / failed per hour or day bucket, by sent time."""
        bucket = _bucket(self.session, Delivery.processed_at, unit).label("bucket")
        rows = await self.session.execute(
            select(bucket, _sum_if(Delivery.status == D.SENT), _sum_if(Delivery.status == D.FAILED))
            .where(*self._ledger(campaign_id, since), Delivery.processed_at.is_not(None))
            .group_by(bucket)
            .order_by(bucket)
        )
        return [{"bucket": b, "sent": int(s), "failed": int(f)} for b, s, f in rows.all()]

    async def interaction_timeline(
        self, campaign_id: int, since: datetime | None, unit: str
    ) -> dict[str, dict[str, int]]:
        """Clicks and conversions per bucket."""
        bucket = _bucket(self.session, Interaction.occurred_at, unit).label("bucket")
        where = [Interaction.campaign_id == campaign_id]
        if since is not None:
            where.append(Interaction.occurred_at >= since)
        rows = await self.session.execute(
            select(
                bucket,
                _sum_if(Interaction.type == InteractionType.CLICKED),
                _sum_if(Interaction.type == InteractionType.CONVERTED),
            )
            .where(*where)
            .group_by(bucket)
        )
        return {b: {"clicked": int(c), "conversions": int(v)} for b, c, v in rows.all()}

    async def per_variation(self, campaign_id: int, since: datetime | None) -> list[dict[str, int]]:
        """Sent / failed / clicked per A/B variation index."""
        rows = await self.session.execute(
            select(
                Delivery.variation,
                _sum_if(Delivery.status == D.SENT),
                _sum_if(Delivery.status == D.FAILED),
                _sum_if(Delivery.clicked_at.is_not(None)),
            )
            .where(*self._ledger(campaign_id, since))
            .group_by(Delivery.variation)
            .order_by(Delivery.variation)
        )
        return [
            {"variation": v, "sent": int(s), "failed": int(f), "clicked": int(c)}
            for v, s, f, c in rows.all()
        ]

    async def sent_within(
        self, campaign_id: int, spec: AudienceSpec, since: datetime | None
    ) -> dict[str, int]:
        """Sent deliveries and conversions among subscribers matching `spec`."""
        in_audience = select(Subscriber.id).where(audience_where(spec))
        sent = await self.session.scalar(
            select(func.count()).where(
                *self._ledger(campaign_id, since),
                Delivery.status == D.SENT,
                Delivery.subscriber_id.in_(in_audience),
            )
        )
        where = [
            Interaction.campaign_id == campaign_id,
            Interaction.type == InteractionType.CONVERTED,
            Interaction.subscriber_id.in_(in_audience),
        ]
        if since is not None:
            where.append(Interaction.occurred_at >= since)
        converted = await self.session.scalar(select(func.count()).where(and_(*where)))
        return {"sent": int(sent or 0), "converted": int(converted or 0)}

    async def sent_since(self, execution_ids: Sequence[int], since: datetime) -> int:
        """Rows of the executions sent at or after `since` (for the current rate)."""
        if not execution_ids:
            return 0
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    Delivery.execution_id.in_(execution_ids),
                    Delivery.processed_at >= since,
                    Delivery.status.in_((D.SENT, D.FAILED)),
                )
            )
            or 0
        )
