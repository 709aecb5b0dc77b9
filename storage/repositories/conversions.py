"""Conversions reported by integrations: which delivery they belong to, and the counters."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DeliveryStatus
from core.models import InteractionType
from storage.models import Campaign, Delivery, Execution, Interaction


class ConversionRepository:
    """Lookups that attribute a conversion, and the campaign counters it moves."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def delivery(self, tenant_id: int, delivery_id: int) -> tuple[int, int] | None:
        """(campaign id, subscriber id) of the tenant's delivery of a real run (not a test)."""
        row = (
            await self.session.execute(
                select(Execution.campaign_id, Delivery.subscriber_id)
                .join(Execution, Execution.id == Delivery.execution_id)
                .where(
                    Delivery.id == delivery_id,
                    Execution.tenant_id == tenant_id,
                    Execution.test_mode.is_(False),
                )
            )
        ).first()
        return None if row is None else (int(row[0]), int(row[1]))

    async def latest_delivery(
        self, tenant_id: int, campaign_id: int, subscriber_id: int
    ) -> int | None:
        """The newest delivery of the campaign Telegram accepted for the subscriber."""
        found = await self.session.scalar(
            select(Delivery.id)
            .join(Execution, Execution.id == Delivery.execution_id)
            .where(
                Execution.campaign_id == campaign_id,
                Execution.tenant_id == tenant_id,
                Execution.test_mode.is_(False),
                Delivery.subscriber_id == subscriber_id,
                Delivery.status == DeliveryStatus.SENT,
            )
            .order_by(Delivery.id.desc())
            .limit(1)
        )
        return None if found is None else int(found)

    async def has_converted(self, campaign_id: int, subscriber_id: int) -> bool:
        """Whether the subscriber converted on the campaign before."""
        found = await self.session.scalar(
            select(Interaction.id)
            .where(
                Interaction.campaign_id == campaign_id,
                Interaction.subscriber_id == subscriber_id,
                Interaction.type == InteractionType.CONVERTED,
            )
            .limit(1)
        )
        return found is not None

    async def count(self, campaign_id: int, value: float, *, first: bool) -> None:
        """Add the value to the campaign's revenue; one more converted recipient if `first`."""
        values = {
            "revenue": Campaign.revenue + value,
            # Counters are not edits: keep updatedAt (and its index) still.
            "updated_at": Campaign.updated_at,
        }
        if first:
            values["converted_count"] = Campaign.converted_count + 1
        await self.session.execute(
            update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(values)
            .execution_options(synchronize_session=False)
        )
