"""Invitation campaigns' deliveries found by their invite links, joins, and their figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, distinct, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.lifecycle import DeliveryStatus
from core.models import CampaignType, InteractionType
from storage.models import Campaign, Delivery, Execution, Interaction, Subscriber


@dataclass(frozen=True)
class InviteDelivery:
    """A delivery of an invitation campaign, with what a join through its link needs."""

    delivery_id: int
    ref: str | None
    test_mode: bool
    tenant_id: int
    campaign_id: int
    campaign_status: str
    ends_at: datetime | None
    settings: dict[str, Any] | None
    subscriber_id: int
    telegram_id: int
    variation: int
    messages: list[dict[str, Any]] | None  # the run's content snapshot (None: the campaign's)
    campaign_messages: list[dict[str, Any]] | None


def _deliveries() -> Select[Any]:
    return (
        select(
            Delivery.id,
            Delivery.ref,
            Execution.test_mode,
            Execution.tenant_id,
            Execution.campaign_id,
            Campaign.status,
            Campaign.end_date,
            Campaign.settings,
            Delivery.subscriber_id,
            Subscriber.telegram_id,
            Delivery.variation,
            Execution.messages,
            Campaign.messages,
        )
        .join(Execution, Execution.id == Delivery.execution_id)
        .join(Campaign, Campaign.id == Execution.campaign_id)
        .join(Subscriber, Subscriber.id == Delivery.subscriber_id)
        .where(Campaign.type == CampaignType.INVITATION.value)
    )


class InvitationRepository:
    """Queries of invitation campaigns."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _one(self, query: Select[Any]) -> InviteDelivery | None:
        row = (await self.session.execute(query.limit(1))).first()
        return None if row is None else InviteDelivery(*row)

    async def by_link(self, url: str) -> InviteDelivery | None:
        """The delivery whose invite link is `url` (deliveries.ref is indexed)."""
        return await self._one(_deliveries().where(Delivery.ref == url))

    async def by_id(self, delivery_id: int) -> InviteDelivery | None:
        """The delivery `delivery_id`, if it belongs to an invitation campaign."""
        return await self._one(_deliveries().where(Delivery.id == delivery_id))

    async def lock(self, delivery_id: int) -> None:
        """Hold the delivery's row until commit, so one join at a time is counted for it."""
        # A write, not SELECT ... FOR UPDATE: that is a no-op on SQLite, where a write takes
        # the database's one writer lock (and PostgreSQL locks the row) until commit.
        await self.session.execute(
            update(Delivery).where(Delivery.id == delivery_id).values(id=Delivery.id)
        )

    async def converted(self, delivery_id: int) -> bool:
        """Whether a join through the delivery's link has been counted."""
        found = await self.session.execute(
            select(Interaction.id)
            .where(
                Interaction.delivery_id == delivery_id,
                Interaction.type == InteractionType.CONVERTED.value,
            )
            .limit(1)
        )
        return found.first() is not None

    async def links(self, campaign_id: int) -> list[str]:
        """Every invite link made for the campaign's deliveries (test sends' too)."""
        rows = await self.session.execute(
            select(Delivery.ref)
            .join(Execution, Execution.id == Delivery.execution_id)
            .where(Execution.campaign_id == campaign_id, Delivery.ref.is_not(None))
            .order_by(Delivery.id)
        )
        return [ref for (ref,) in rows if ref]

    async def in_flight(self, campaign_id: int) -> int:
        """The campaign's deliveries being sent now (their links are not stored yet)."""
        found = await self.session.execute(
            select(func.count())
            .select_from(Delivery)
            .join(Execution, Execution.id == Delivery.execution_id)
            .where(
                Execution.campaign_id == campaign_id,
                Delivery.status == DeliveryStatus.SENDING.value,
            )
        )
        return int(found.scalar_one())

    async def figures(self, campaign_id: int, since: datetime | None) -> tuple[int, int]:
        """(links sent, recipients who joined through theirs) of real runs since `since`."""
        invited = (
            select(func.count())
            .select_from(Delivery)
            .join(Execution, Execution.id == Delivery.execution_id)
            .where(
                Execution.campaign_id == campaign_id,
                Execution.test_mode.is_(False),
                Delivery.status == DeliveryStatus.SENT.value,
                Delivery.ref.is_not(None),
            )
        )
        joined = select(func.count(distinct(Interaction.delivery_id))).where(
            Interaction.campaign_id == campaign_id,
            Interaction.type == InteractionType.CONVERTED.value,
        )
        if since is not None:
            invited = invited.where(Delivery.processed_at >= since)
            joined = joined.where(Interaction.occurred_at >= since)
        sent = (await self.session.execute(invited)).scalar_one()
        joins = (await self.session.execute(joined)).scalar_one()
        return int(sent), int(joins)
