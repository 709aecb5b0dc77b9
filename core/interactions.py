"""Recipient interactions with campaigns (clicks, answers, conversions)."""

from __future__ import annotations

from typing import Any

from core.ids import format_id
from core.uow import UnitOfWork
from storage.models import Campaign
from storage.repositories.campaigns import CampaignRepository
from storage.repositories.paging import Page


async def list_interactions(
    uow: UnitOfWork, campaign: Campaign, type_: str | None, skip: int, take: int
) -> Page[dict[str, Any]]:
    """A page of a campaign's interactions, newest first, as plain dicts."""
    page = await CampaignRepository(uow.session).interactions(
        campaign.id, type_=type_, offset=skip, limit=take
    )
    items = [
        {
            "id": format_id("interaction", row.id),
            "customer_id": format_id("subscriber", row.subscriber_id)
            if row.subscriber_id
            else None,
            "type": row.type,
            "occurred_at": row.occurred_at,
            "metadata": {
                **(row.details or {}),
                **(
                    {"deliveryId": format_id("delivery", row.delivery_id)}
                    if row.delivery_id
                    else {}
                ),
                **({"value": row.value} if row.value is not None else {}),
            },
        }
        for row in page.items
    ]
    return Page(items, page.total)
