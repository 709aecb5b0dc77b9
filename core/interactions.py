"""Recipient interactions with campaigns (clicks, answers, conversions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.campaign_types.base import UpdateKind
from core.campaign_types.registry import policy_for
from core.event_names import INTERACTION_EVENTS
from core.events import DomainEvent
from core.ids import format_id
from core.models import InteractionType
from core.uow import UnitOfWork
from storage.models import Campaign, Interaction
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.interactions import InteractionRepository
from storage.repositories.paging import Page


@dataclass(frozen=True)
class InteractionRecord:
    """One tracked interaction as callers see it; `metadata` keeps the keys it was stored with."""

    id: str
    customer_id: str | None
    type: InteractionType
    occurred_at: datetime
    metadata: dict[str, Any]


def _record(row: Interaction) -> InteractionRecord:
    metadata = dict(row.details or {})
    if row.delivery_id:
        metadata["deliveryId"] = format_id("delivery", row.delivery_id)
    if row.value is not None:
        metadata["value"] = row.value
    return InteractionRecord(
        id=format_id("interaction", row.id),
        customer_id=format_id("subscriber", row.subscriber_id) if row.subscriber_id else None,
        type=InteractionType(row.type),
        occurred_at=row.occurred_at,
        metadata=metadata,
    )


async def list_interactions(
    uow: UnitOfWork, campaign: Campaign, type_: InteractionType | None, skip: int, take: int
) -> Page[InteractionRecord]:
    """A page of a campaign's interactions, newest first."""
    page = await CampaignRepository(uow.session).interactions(
        campaign.id, type_=type_, offset=skip, limit=take
    )
    return Page([_record(row) for row in page.items], page.total)


async def record_click(
    uow: UnitOfWork, delivery_id: int, button_index: int, telegram_id: int
) -> bool:
    """Count a press of a campaign message's callback button; False if it is not counted.

    Only the recipient of that delivery can click it (callback data can be forged, the
    sender cannot), and only if the campaign type's policy listens to clicks; repeated
    presses are stored but the campaign counts each recipient once. A type whose policy
    converts on clicks records the first one as a conversion too.
    """
    repo = InteractionRepository(uow.session)
    found = await repo.delivery_owner(delivery_id)
    if found is None:
        return False
    tenant_id, campaign_id, campaign_type, subscriber_id, owner_telegram_id = found
    policy = policy_for(campaign_type)
    if owner_telegram_id != telegram_id or UpdateKind.BUTTON_CLICK not in policy.listens_to:
        return False
    # A conditional UPDATE decides "first click" atomically, even for concurrent presses.
    first = await repo.mark_clicked(delivery_id, uow.clock())
    kinds = [InteractionType.CLICKED]
    converts = first and UpdateKind.BUTTON_CLICK in policy.converts_on
    if converts:
        kinds.append(InteractionType.CONVERTED)
    for kind in kinds:
        details = {"button": button_index}
        await repo.add(
            Interaction(
                tenant_id=tenant_id,
                campaign_id=campaign_id,
                delivery_id=delivery_id,
                subscriber_id=subscriber_id,
                type=kind,
                occurred_at=uow.clock(),
                details=details,
            )
        )
        uow.emit(
            DomainEvent(
                name=INTERACTION_EVENTS[kind],
                tenant_id=tenant_id,
                campaign_id=campaign_id,
                actor=f"telegram:{telegram_id}",
                subscriber_id=subscriber_id,
                occurred_at=uow.clock(),
                data={"deliveryId": delivery_id, "first": first, **details},
            )
        )
    if first:
        await repo.count_click(campaign_id, converted=converts)
    return True
