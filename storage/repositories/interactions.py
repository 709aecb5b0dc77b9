"""Interactions (clicks, answers, conversions) and the lookups that attribute them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DeliveryStatus
from storage.models import Campaign, Delivery, Execution, Interaction, Subscriber


class InteractionRepository:
    """Interaction rows."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def delivery_owner(self, delivery_id: int) -> tuple[int, int, str, int, int] | None:
        """(tenant id, campaign id, campaign type, subscriber id, telegram id) of a delivery of
        a real run (a test send's deliveries have none: their clicks never count)."""
        row = (
            await self.session.execute(
                select(
                    Execution.tenant_id,
                    Execution.campaign_id,
                    Campaign.type,
                    Delivery.subscriber_id,
                    Subscriber.telegram_id,
                )
                .join(Execution, Execution.id == Delivery.execution_id)
                .join(Campaign, Campaign.id == Execution.campaign_id)
                .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
                .where(Delivery.id == delivery_id, Execution.test_mode.is_(False))
            )
        ).first()
        return None if row is None else (row[0], row[1], row[2], row[3], row[4])

    async def mark_clicked(self, delivery_id: int, now: datetime) -> bool:
        """Stamp the delivery's first click; True only for the request that stamped it."""
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id, Delivery.clicked_at.is_(None))
            .values(clicked_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE or DELETE returns a CursorResult

    async def last_delivered_to(
        self, subscriber_id: int, since: datetime
    ) -> tuple[int, int] | None:
        """(delivery id, campaign id) of the newest campaign message (not a test send)
        Telegram accepted for the subscriber at or after `since`."""
        row = (
            await self.session.execute(
                select(Delivery.id, Execution.campaign_id)
                .join(Execution, Execution.id == Delivery.execution_id)
                .where(
                    Delivery.subscriber_id == subscriber_id,
                    Delivery.processed_at >= since,
                    Delivery.status == DeliveryStatus.SENT,
                    Execution.test_mode.is_(False),
                )
                .order_by(Delivery.processed_at.desc(), Delivery.id.desc())
                .limit(1)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def add(self, interaction: Interaction) -> None:
        """Insert one interaction."""
        self.session.add(interaction)
        await self.session.flush()

    async def count_click(self, campaign_id: int, *, converted: bool = False) -> None:
        """One more recipient clicked (and, when `converted`, converted)."""
        values = {"clicked_count": Campaign.clicked_count + 1}
        if converted:
            values["converted_count"] = Campaign.converted_count + 1
        await self.session.execute(
            update(Campaign).where(Campaign.id == campaign_id).values(values)
        )
