"""A recipient's conversion on a campaign: one home for its row, its counter and its event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.event_names import INTERACTION_EVENTS
from core.events import DomainEvent
from core.models import InteractionType
from core.uow import UnitOfWork
from storage.models import Interaction
from storage.repositories.conversions import ConversionRepository
from storage.repositories.interactions import InteractionRepository


@dataclass(frozen=True)
class ConvertedDelivery:
    """Whose delivery of which campaign converted."""

    tenant_id: int
    campaign_id: int
    delivery_id: int
    subscriber_id: int


async def record_conversion(
    uow: UnitOfWork, of: ConvertedDelivery, *, actor: str, via: str, details: dict[str, Any]
) -> bool:
    """Store a CONVERTED interaction of the delivery and emit `interaction.converted`; the
    campaign's converted count grows only with the recipient's first conversion on it (what
    statistics count: recipients). Returns whether it was their first.

    The caller has decided, under the delivery's lock, that this delivery converts now.
    """
    conversions = ConversionRepository(uow.session)
    first = not await conversions.has_converted(of.campaign_id, of.subscriber_id)
    now = uow.clock()
    await InteractionRepository(uow.session).add(
        Interaction(
            tenant_id=of.tenant_id,
            campaign_id=of.campaign_id,
            delivery_id=of.delivery_id,
            subscriber_id=of.subscriber_id,
            type=InteractionType.CONVERTED,
            occurred_at=now,
            details=details,
        )
    )
    if first:
        await conversions.count(of.campaign_id, 0.0, first=True)
    uow.emit(
        DomainEvent(
            name=INTERACTION_EVENTS[InteractionType.CONVERTED],
            tenant_id=of.tenant_id,
            campaign_id=of.campaign_id,
            actor=actor,
            subscriber_id=of.subscriber_id,
            occurred_at=now,
            data={"deliveryId": of.delivery_id, "first": first, "via": via, **details},
        )
    )
    return first
