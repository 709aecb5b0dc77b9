"""Campaigns, their audit events and their interactions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, CampaignEvent, Interaction
from storage.repositories.paging import Page, escape_like, fetch_page

SORTABLE: dict[str, Any] = {
    "createdAt": Campaign.created_at,
    "updatedAt": Campaign.updated_at,
    "name": Campaign.name,
    "status": Campaign.status,
    "type": Campaign.type,
    "startDate": Campaign.start_date,
    "endDate": Campaign.end_date,
    "budget": Campaign.budget,
}


class CampaignRepository:
    """Campaign rows, always scoped to one tenant."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, campaign: Campaign) -> Campaign:
        """Insert a campaign."""
        self.session.add(campaign)
        await self.session.flush()
        return campaign

    async def get(self, tenant_id: int, campaign_id: int, *, lock: bool = False) -> Campaign | None:
        """The tenant's campaign, optionally locked for update."""
        query = select(Campaign).where(Campaign.id == campaign_id, Campaign.tenant_id == tenant_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def list(
        self,
        tenant_id: int,
        *,
        status: str | None,
        type_: str | None,
        search: str | None,
        sort_field: str,
        descending: bool,
        offset: int,
        limit: int,
    ) -> Page[Campaign]:
        """One page of the tenant's campaigns, filtered, searched and sorted."""
        where: list[ColumnElement[bool]] = [Campaign.tenant_id == tenant_id]
        if status:
            where.append(Campaign.status == status)
        if type_:
            where.append(Campaign.type == type_)
        if search:
            pattern = f"%{escape_like(search.lower())}%"
            where.append(
                or_(
                    func.lower(Campaign.name).like(pattern, escape="\\"),
                    func.lower(Campaign.description).like(pattern, escape="\\"),
                )
            )
        column = SORTABLE[sort_field]
        order = [column.desc(), Campaign.id.desc()] if descending else [column.asc(), Campaign.id]
        query = select(Campaign).where(*where).order_by(*order)
        return await fetch_page(self.session, query, offset=offset, limit=limit)

    async def delete(self, campaign: Campaign) -> None:
        """Remove a campaign and (by cascade) its dependants."""
        await self.session.execute(delete(Campaign).where(Campaign.id == campaign.id))

    async def add_event(self, event: CampaignEvent) -> None:
        """Record one lifecycle transition."""
        self.session.add(event)
        await self.session.flush()

    async def events(self, campaign_id: int) -> list[CampaignEvent]:
        """Every recorded transition of a campaign, oldest first."""
        rows = await self.session.scalars(
            select(CampaignEvent)
            .where(CampaignEvent.campaign_id == campaign_id)
            .order_by(CampaignEvent.id)
        )
        return list(rows)

    async def interactions(
        self, campaign_id: int, *, type_: str | None, offset: int, limit: int
    ) -> Page[Interaction]:
        """One page of tracked interactions of a campaign, newest first."""
        query = select(Interaction).where(Interaction.campaign_id == campaign_id)
        if type_:
            query = query.where(Interaction.type == type_)
        query = query.order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        return await fetch_page(self.session, query, offset=offset, limit=limit)
